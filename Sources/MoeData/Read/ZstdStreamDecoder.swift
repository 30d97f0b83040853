import CZstd
import Foundation

/// Decompresses the zstd frames of a compressed byte stream that starts at a frame boundary (a
/// whole file, or a run of frames found by `ZstdFrames`), in constant memory.
///
/// A stream that ends inside a frame is an error. Data zstd still holds when the input ends is
/// flushed before that is decided: the caller's buffer may have been too small to take it earlier.
struct ZstdStreamDecoder<Input: ByteSource>: ByteSource {
    let path: String
    private var input: Input
    private let context: ZstdContextBox
    private var inputBuffer: [UInt8]
    private var inputPosition = 0
    private var inputLength = 0
    private var inputEnded = false
    /// True from a frame's first byte until zstd says the frame is decoded and flushed.
    private var insideFrame = false

    init(path: String, input: Input) throws {
        self.path = path
        self.input = input
        context = try ZstdContextBox(path: path)
        inputBuffer = [UInt8](repeating: 0, count: ZSTD_DStreamInSize())
    }

    /// Compressed bytes consumed: the input's position less what is still buffered here.
    var compressedOffset: Int { input.compressedOffset - (inputLength - inputPosition) }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            if inputPosition == inputLength && !inputEnded {
                inputLength = try inputBuffer.withUnsafeMutableBytes { try input.read(into: $0) }
                inputPosition = 0
                inputEnded = inputLength == 0
            }
            let exhausted = inputEnded && inputPosition == inputLength
            if exhausted && !insideFrame { return 0 }
            let offsetBefore = compressedOffset
            var produced = 0
            let result = inputBuffer.withUnsafeBytes { source -> Int in
                var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: inputLength, pos: inputPosition)
                var outBuffer = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                let r = ZSTD_decompressStream(context.ctx, &outBuffer, &inBuffer)
                inputPosition = inBuffer.pos
                produced = outBuffer.pos
                return r
            }
            if ZSTD_isError(result) != 0 {
                throw MoeDataError("\(path): corrupt zstd data near compressed byte \(offsetBefore): "
                    + String(cString: ZSTD_getErrorName(result)))
            }
            insideFrame = result != 0
            if produced > 0 { return produced }
            if exhausted && !insideFrame { return 0 }
            if exhausted {
                throw MoeDataError("\(path): truncated zstd stream: the data ends inside a frame at compressed byte "
                    + "\(compressedOffset)")
            }
        }
    }
}
