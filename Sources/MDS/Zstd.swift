import CZstd
import Foundation

/// Whole-buffer zstd, as MDS compresses each shard: one standard frame per shard.
public enum Zstd {
    /// `workers` 0 compresses on the calling thread, as zstd's one-shot call does. From 1 up,
    /// zstd's multi-threaded mode cuts the input into jobs compressed on that many threads: the
    /// frame differs from the one-thread one, but is the same for every count from 1 up (libzstd
    /// 1.5.4 here; `ZstdWorkersTests` checks it), so bytes made this way do not depend on the cores.
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32, workers: Int = 0) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        guard workers > 0 else {
            return try compressed(bound: bound) { ZSTD_compress($0, bound, input.baseAddress, input.count, level) }
        }
        guard let context = ZSTD_createCCtx() else { throw MDSError.compression("zstd: cannot make a context") }
        defer { ZSTD_freeCCtx(context) }
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "setting level \(level)")
        try check(
            ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(clamping: workers)),
            "setting \(workers) workers (a libzstd built without multi-threading cannot)")
        return try compressed(bound: bound) { ZSTD_compress2(context, $0, bound, input.baseAddress, input.count) }
    }

    /// The frame `body` writes into a buffer of `bound` bytes, returning its size or a zstd error.
    /// The buffer is left uninitialised: zstd writes what it returns, and zero-filling the bound (the
    /// size of a whole shard) cost as much as hashing it.
    private static func compressed(bound: Int, _ body: (UnsafeMutableRawPointer?) -> Int) throws -> [UInt8] {
        var failure: Int?
        let out = [UInt8](unsafeUninitializedCapacity: bound) { dst, count in
            let n = body(dst.baseAddress)
            if ZSTD_isError(n) != 0 { failure = n; count = 0 } else { count = n }
        }
        if let failure { throw MDSError.compression(String(cString: ZSTD_getErrorName(failure))) }
        return out
    }

    private static func check(_ status: Int, _ doing: String) throws {
        guard ZSTD_isError(status) != 0 else { return }
        throw MDSError.compression(
            "zstd \(String(cString: ZSTD_versionString())): \(String(cString: ZSTD_getErrorName(status))) \(doing)")
    }

    /// Decompresses a complete zstd buffer (one or more frames). Truncated or corrupt data
    /// gives an error naming what zstd said. Output beyond `limit` bytes is an error: a shard's
    /// size is known from index.json, and a few KB of zstd can claim or produce gigabytes
    /// (fuzzing found a 45-byte frame header that made this allocate 2.9 GB up front).
    public static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8] {
        if let whole = decompressKnownSize(input, limit: limit) { return whole }
        return try decompressStreaming(input, limit: limit)
    }

    /// One call into a buffer of the size the frame header states, when it states one within
    /// `limit`: no 128 KB steps appended one by one (a shard's bytes copied once more). Nil when
    /// that does not give exactly the stated size (more frames, a lying header, corrupt data):
    /// the streaming decoder then decodes or names the error.
    private static func decompressKnownSize(_ input: UnsafeRawBufferPointer, limit: Int) -> [UInt8]? {
        let size = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        guard size != ZSTD_CONTENTSIZE_UNKNOWN, size != ZSTD_CONTENTSIZE_ERROR, size <= UInt64(max(0, limit))
        else { return nil }
        var complete = false
        let out = [UInt8](unsafeUninitializedCapacity: Int(size)) { dst, count in
            let n = ZSTD_decompress(dst.baseAddress, Int(size), input.baseAddress, input.count)
            complete = ZSTD_isError(n) == 0 && n == Int(size)
            count = complete ? n : 0
        }
        return complete ? out : nil
    }

    private static func decompressStreaming(_ input: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8] {
        let decoder: ZstdStreamDecoder
        do { decoder = try ZstdStreamDecoder() } catch let failure as ZstdStreamDecoder.Failure {
            throw MDSError.compression(failure.reason)
        }
        var out: [UInt8] = []
        let frameSize = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        if frameSize != ZSTD_CONTENTSIZE_UNKNOWN && frameSize != ZSTD_CONTENTSIZE_ERROR {
            // The header's claim is a hint only: never reserve past the limit.
            out.reserveCapacity(Int(min(frameSize, UInt64(max(0, limit)))))
        }
        // zstd's recommended output size (one block, 128 KB), left uninitialised: zstd writes
        // before anything reads. A zero-filled 1 MB chunk per call dominated small shards' cost.
        let chunk = UnsafeMutableRawBufferPointer.allocate(
            byteCount: ZstdStreamDecoder.recommendedOutputSize, alignment: 16)
        defer { chunk.deallocate() }
        var position = 0
        while true {
            let produced: Int
            do {
                produced = try decoder.decode(input, position: &position, into: chunk)
            } catch let failure as ZstdStreamDecoder.Failure {
                throw MDSError.compression("zstd: \(failure.reason) at compressed byte \(position)")
            }
            if produced > limit - out.count {
                throw MDSError.compression("zstd: the data decompresses to more than the expected \(limit) bytes")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<produced]))
            if position == input.count && produced < chunk.count {
                if !decoder.isAtFrameBoundary {
                    throw MDSError.compression("zstd: truncated frame at compressed byte \(position)")
                }
                return out
            }
        }
    }
}
