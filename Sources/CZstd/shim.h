#define ZSTD_STATIC_LINKING_ONLY  /* ZSTD_getFrameHeader: ZstdFrames walks frames without decoding */
#include <zstd.h>
#include <zstd_errors.h>
