import CZstd

/// zstd's buffer-less decoder: a frame decoded block by block straight into the caller's memory,
/// with no buffer of zstd's own in between (the streaming decoder, `ZstdStreamDecoder`, decodes
/// into a buffer of its own and copies out). The caller keeps what a block may refer back to:
/// the frame's window (`FrameHeader.windowSize`) of the bytes decoded before it, either just before
/// it in memory or, after a jump to other memory, the whole of the previous stretch. The exports'
/// shard reader uses it to decode straight into its pieces.
public final class ZstdBlockDecoder {
    private let context: OpaquePointer

    /// Decoding errors carry zstd's own reason; callers add the file and the offset.
    public struct Failure: Error, Sendable {
        public var reason: String
    }

    /// What a frame's header says of it.
    public struct FrameHeader: Sendable {
        /// The farthest a block refers back, in decoded bytes.
        public var windowSize: UInt64
        /// The most bytes one block decodes to.
        public var blockSizeMax: Int
        /// A skippable frame (user data, no content).
        public var isSkippable: Bool
    }

    public init() throws {
        guard let context = ZSTD_createDCtx() else { throw Failure(reason: "cannot allocate a zstd context") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// The header of the frame at the start of `bytes`, or nil and the number of bytes it needs.
    public static func frameHeader(_ bytes: UnsafeRawBufferPointer) throws -> (header: FrameHeader?, needed: Int) {
        var header = ZSTD_frameHeader()
        let result = ZSTD_getFrameHeader(&header, bytes.baseAddress, bytes.count)
        if ZSTD_isError(result) != 0 { throw Failure(reason: String(cString: ZSTD_getErrorName(result))) }
        guard result == 0 else { return (nil, result) }
        return (
            FrameHeader(
                windowSize: header.windowSize, blockSizeMax: Int(header.blockSizeMax),
                isSkippable: header.frameType == ZSTD_skippableFrame), 0
        )
    }

    /// Starts a frame.
    public func begin() { ZSTD_decompressBegin(context) }

    /// The exact number of input bytes the next `decode` takes; 0 once the frame is decoded.
    public var nextInputSize: Int { ZSTD_nextSrcSizeToDecompress(context) }

    /// Decodes `input` (`nextInputSize` bytes) into `output`, which must hold a whole block
    /// (`blockSizeMax`); returns the bytes written (0 for a header or a skippable frame's data).
    public func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = ZSTD_decompressContinue(context, output.baseAddress, output.count, input.baseAddress, input.count)
        if ZSTD_isError(n) != 0 { throw Failure(reason: String(cString: ZSTD_getErrorName(n))) }
        return n
    }
}
