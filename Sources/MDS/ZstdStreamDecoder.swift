import CZstd

/// The one zstd stream decoder: MDS shards (`Zstd.decompress`) and ingest's `.jsonl.zst`
/// reader both feed it. It holds libzstd's decompression context, takes compressed bytes in any
/// pieces and writes decompressed bytes into the caller's buffer, so memory stays bounded by
/// the buffers whatever the data claims. Frames may follow each other (multi-frame streams).
public final class ZstdStreamDecoder {
    private let context: OpaquePointer
    /// libzstd's hint after the last call: 0 when it ended exactly at the end of a frame. A
    /// stream whose input runs out while this is not 0 is truncated.
    private var hint = 0

    /// Decoding errors carry zstd's own reason; callers add the file and the offset.
    public struct Failure: Error, Sendable {
        public var reason: String
    }

    public init() throws {
        guard let context = ZSTD_createDCtx() else { throw Failure(reason: "cannot allocate a zstd context") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Input size libzstd reads best in (a whole block and its header).
    public static var recommendedInputSize: Int { ZSTD_DStreamInSize() }
    /// Output size libzstd writes best in (one whole block).
    public static var recommendedOutputSize: Int { ZSTD_DStreamOutSize() }

    /// True when no frame is partly decoded: the input so far ended on a frame boundary (or
    /// nothing was fed yet).
    public var isAtFrameBoundary: Bool { hint == 0 }

    /// Decodes from `input[position...]`, advancing `position` past what was consumed (also when
    /// it throws: then `position` is where zstd stopped), into `output`; returns the number of
    /// bytes written, 0 when it needs more input. Throws `Failure` on corrupt data.
    public func decode(
        _ input: UnsafeRawBufferPointer, position: inout Int,
        into output: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: position)
        var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let result = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
        position = inBuffer.pos
        if ZSTD_isError(result) != 0 { throw Failure(reason: String(cString: ZSTD_getErrorName(result))) }
        hint = result
        return outBuffer.pos
    }

    /// Makes libzstd write straight into the caller's buffer instead of into its own window first,
    /// which saves a copy of every decoded byte. Call before the first `decode`; from then on, only
    /// `decode(_:position:inputEnd:inPlace:written:)` may be used, always with the same buffer,
    /// which must hold the whole stream's output (libzstd refuses a frame that does not fit).
    public func decodeInPlace() throws {
        let result = ZSTD_DCtx_setParameter(context, ZSTD_d_experimentalParam2, 1)  // ZSTD_d_stableOutBuffer
        if ZSTD_isError(result) != 0 { throw Failure(reason: String(cString: ZSTD_getErrorName(result))) }
    }

    /// Decodes `input[position..<inputEnd]` into `output[written...]` (after `decodeInPlace()`),
    /// advancing `position` and `written` past what was consumed and produced, also when it
    /// throws. Throws `Failure` on corrupt data or output that does not fit.
    public func decode(
        _ input: UnsafeRawBufferPointer, position: inout Int, inputEnd: Int,
        inPlace output: UnsafeMutableRawBufferPointer, written: inout Int
    ) throws {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: inputEnd, pos: position)
        var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: written)
        let result = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
        position = inBuffer.pos
        written = outBuffer.pos
        if ZSTD_isError(result) != 0 { throw Failure(reason: String(cString: ZSTD_getErrorName(result))) }
        hint = result
    }
}
