// A minimal C ABI over libsentencepiece, so Swift never touches C++ types.
// Every function that can fail returns 0 on success and non-zero on failure, with a
// message written into `err` (NUL-terminated, truncated to `err_cap`). No C++ exception
// ever crosses this boundary.
#ifndef SPM_SHIM_H
#define SPM_SHIM_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct spm_processor spm_processor;

/// Loads a `.model` file. Returns NULL and fills `err` on failure.
spm_processor *spm_load(const char *path, char *err, size_t err_cap);
/// Loads a model from its serialized ModelProto bytes.
spm_processor *spm_load_bytes(const void *bytes, size_t len, char *err, size_t err_cap);
void spm_free(spm_processor *p);

int spm_piece_size(const spm_processor *p);
int spm_unk_id(const spm_processor *p);
int spm_bos_id(const spm_processor *p);
int spm_eos_id(const spm_processor *p);
int spm_pad_id(const spm_processor *p);
/// The id of `piece`, or the unk id when the model has no such piece.
int spm_piece_to_id(const spm_processor *p, const char *piece, size_t len);
/// Copies the piece of `id` into `out` (not NUL-terminated); returns its full byte length
/// (0 for an id outside the model).
size_t spm_id_to_piece(const spm_processor *p, int id, char *out, size_t cap);
float spm_score(const spm_processor *p, int id);
/// 0 normal or user-defined, 1 unknown, 2 control, 4 unused, 6 byte (ModelProto's numbering;
/// libsentencepiece 0.1.97 does not expose "user-defined" through the processor API).
int spm_piece_type(const spm_processor *p, int id);

/// Encodes UTF-8 text to ids. On success `*out_len` holds the id count; when it exceeds
/// `cap`, nothing beyond `cap` is written and the caller retries with a larger buffer.
/// Thread-safe: many threads may encode with one processor at once.
int spm_encode(const spm_processor *p, const char *text, size_t len,
               uint32_t *out, size_t cap, size_t *out_len, char *err, size_t err_cap);

/// Decodes ids to UTF-8 text; same buffer protocol as `spm_encode`. Every id must be a piece
/// id of the model (the caller renders anything else).
int spm_decode(const spm_processor *p, const uint32_t *ids, size_t n,
               char *out, size_t cap, size_t *out_len, char *err, size_t err_cap);

/// Trains a model from `n_args` trainer flags given as key/value pairs (e.g. "vocab_size" /
/// "8000"; values may contain spaces). Sentences come from `next`, called until it returns 0;
/// it must set `*text`/`*len` to a buffer that stays valid until the next call. A negative
/// return from `next` aborts training (the caller keeps its own error). On success the
/// serialized model is written to `model_path` and nowhere else.
typedef int (*spm_sentence_fn)(void *ctx, const char **text, size_t *len);
int spm_train(const char *const *keys, const char *const *values, size_t n_args,
              spm_sentence_fn next, void *ctx,
              const char *model_path, char *err, size_t err_cap);

/// Sets libsentencepiece's global log threshold (0 info, 1 warning, 2 error).
void spm_set_min_log_level(int level);

/// Seeds libsentencepiece's global random generator (spm_train's --random_seed).
void spm_set_random_seed(uint32_t seed);

#ifdef __cplusplus
}
#endif
#endif
