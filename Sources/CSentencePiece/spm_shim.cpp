#include "spm_shim.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

// Exported by libsentencepiece but declared only in its private common.h.
namespace sentencepiece {
void SetRandomGeneratorSeed(unsigned int seed);
namespace logging {
void SetMinLogLevel(int v);
}  // namespace logging
}  // namespace sentencepiece

struct spm_processor {
    sentencepiece::SentencePieceProcessor proc;
};

static void set_err(char *err, size_t cap, const std::string &msg) {
    if (err == nullptr || cap == 0) return;
    size_t n = msg.size() < cap - 1 ? msg.size() : cap - 1;
    std::memcpy(err, msg.data(), n);
    err[n] = '\0';
}

extern "C" spm_processor *spm_load(const char *path, char *err, size_t err_cap) {
    try {
        auto p = std::make_unique<spm_processor>();
        auto status = p->proc.Load(path);
        if (!status.ok()) { set_err(err, err_cap, status.ToString()); return nullptr; }
        return p.release();
    } catch (const std::exception &e) {
        set_err(err, err_cap, e.what());
        return nullptr;
    }
}

extern "C" spm_processor *spm_load_bytes(const void *bytes, size_t len, char *err, size_t err_cap) {
    try {
        auto p = std::make_unique<spm_processor>();
        auto status = p->proc.LoadFromSerializedProto(
            absl::string_view(static_cast<const char *>(bytes), len));
        if (!status.ok()) { set_err(err, err_cap, status.ToString()); return nullptr; }
        return p.release();
    } catch (const std::exception &e) {
        set_err(err, err_cap, e.what());
        return nullptr;
    }
}

extern "C" void spm_free(spm_processor *p) { delete p; }

extern "C" int spm_piece_size(const spm_processor *p) { return p->proc.GetPieceSize(); }
extern "C" int spm_unk_id(const spm_processor *p) { return p->proc.unk_id(); }
extern "C" int spm_bos_id(const spm_processor *p) { return p->proc.bos_id(); }
extern "C" int spm_eos_id(const spm_processor *p) { return p->proc.eos_id(); }
extern "C" int spm_pad_id(const spm_processor *p) { return p->proc.pad_id(); }

extern "C" int spm_piece_to_id(const spm_processor *p, const char *piece, size_t len) {
    return p->proc.PieceToId(absl::string_view(piece, len));
}

extern "C" size_t spm_id_to_piece(const spm_processor *p, int id, char *out, size_t cap) {
    if (id < 0 || id >= p->proc.GetPieceSize()) return 0;
    const std::string &s = p->proc.IdToPiece(id);
    size_t n = s.size() < cap ? s.size() : cap;
    if (n > 0) std::memcpy(out, s.data(), n);
    return s.size();
}

extern "C" float spm_score(const spm_processor *p, int id) {
    if (id < 0 || id >= p->proc.GetPieceSize()) return 0;
    return p->proc.GetScore(id);
}

extern "C" int spm_piece_type(const spm_processor *p, int id) {
    if (id < 0 || id >= p->proc.GetPieceSize()) return 1;
    if (p->proc.IsUnknown(id)) return 1;
    if (p->proc.IsControl(id)) return 2;
    if (p->proc.IsUnused(id)) return 4;
    if (p->proc.IsByte(id)) return 6;
    return 0;
}

extern "C" int spm_encode(const spm_processor *p, const char *text, size_t len,
                          uint32_t *out, size_t cap, size_t *out_len, char *err, size_t err_cap) {
    try {
        // One scratch vector per thread: Encode is const, so threads share the processor and
        // only this buffer would otherwise be contended or reallocated per call.
        thread_local std::vector<int> ids;
        ids.clear();
        auto status = p->proc.Encode(absl::string_view(text, len), &ids);
        if (!status.ok()) { set_err(err, err_cap, status.ToString()); return 1; }
        *out_len = ids.size();
        size_t n = ids.size() < cap ? ids.size() : cap;
        for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint32_t>(ids[i]);
        return 0;
    } catch (const std::exception &e) {
        set_err(err, err_cap, e.what());
        return 1;
    }
}

extern "C" int spm_decode(const spm_processor *p, const uint32_t *ids, size_t n,
                          char *out, size_t cap, size_t *out_len, char *err, size_t err_cap) {
    try {
        const int pieces = p->proc.GetPieceSize();
        std::vector<int> v;
        v.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            // libsentencepiece would abort on an out-of-range id; refuse it here instead.
            if (ids[i] >= static_cast<uint32_t>(pieces)) {
                set_err(err, err_cap, "id " + std::to_string(ids[i]) + " at position " +
                                          std::to_string(i) + " is not a piece id (model has " +
                                          std::to_string(pieces) + " pieces)");
                return 1;
            }
            v.push_back(static_cast<int>(ids[i]));
        }
        std::string text;
        auto status = p->proc.Decode(v, &text);
        if (!status.ok()) { set_err(err, err_cap, status.ToString()); return 1; }
        *out_len = text.size();
        size_t m = text.size() < cap ? text.size() : cap;
        if (m > 0) std::memcpy(out, text.data(), m);
        return 0;
    } catch (const std::exception &e) {
        set_err(err, err_cap, e.what());
        return 1;
    }
}

namespace {
class CallbackIterator : public sentencepiece::SentenceIterator {
  public:
    CallbackIterator(spm_sentence_fn fn, void *ctx) : fn_(fn), ctx_(ctx) { Next(); }
    bool done() const override { return done_; }
    void Next() override {
        if (done_) return;
        const char *text = nullptr;
        size_t len = 0;
        int rc = fn_(ctx_, &text, &len);
        if (rc == 0) { done_ = true; return; }
        if (rc < 0) {
            done_ = true;
            status_ = sentencepiece::util::Status(sentencepiece::util::StatusCode::kCancelled,
                                                  "sentence source failed");
            return;
        }
        value_.assign(text, len);
    }
    const std::string &value() const override { return value_; }
    sentencepiece::util::Status status() const override { return status_; }

  private:
    spm_sentence_fn fn_;
    void *ctx_;
    bool done_ = false;
    std::string value_;
    sentencepiece::util::Status status_;
};
}  // namespace

extern "C" int spm_train(const char *const *keys, const char *const *values, size_t n_args,
                         spm_sentence_fn next, void *ctx,
                         const char *model_path, char *err, size_t err_cap) {
    try {
        std::unordered_map<std::string, std::string> kwargs;
        for (size_t i = 0; i < n_args; ++i) kwargs[keys[i]] = values[i];
        CallbackIterator it(next, ctx);
        std::string proto;
        auto status = sentencepiece::SentencePieceTrainer::Train(kwargs, &it, &proto);
        if (!status.ok()) { set_err(err, err_cap, status.ToString()); return 1; }
        if (!it.status().ok()) { set_err(err, err_cap, it.status().ToString()); return 1; }
        std::ofstream f(model_path, std::ios::binary | std::ios::trunc);
        if (!f) { set_err(err, err_cap, std::string("cannot write ") + model_path); return 1; }
        f.write(proto.data(), static_cast<std::streamsize>(proto.size()));
        f.close();
        if (!f) { set_err(err, err_cap, std::string("write failed: ") + model_path); return 1; }
        return 0;
    } catch (const std::exception &e) {
        set_err(err, err_cap, e.what());
        return 1;
    }
}

extern "C" void spm_set_min_log_level(int level) { sentencepiece::logging::SetMinLogLevel(level); }

extern "C" void spm_set_random_seed(uint32_t seed) { sentencepiece::SetRandomGeneratorSeed(seed); }
