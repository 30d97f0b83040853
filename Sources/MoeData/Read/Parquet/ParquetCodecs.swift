import Foundation
import MDS
import Parquet

/// The codecs of Parquet pages, through the package's one wrapper of each C library: `Snappy`,
/// `LZ4`, MDS's `ZstdStreamDecoder`, and zlib's gzip stream through `GzipByteSource`.
final class ParquetCodecs: PageDecompressor {
    let supported: Set<CompressionCodec> = [.uncompressed, .snappy, .gzip, .zstd, .lz4Raw]
    /// Reused across pages; replaced after an error (its state is then undefined).
    private var zstd: ZstdStreamDecoder?

    func decompress(_ codec: CompressionCodec, _ input: UnsafeRawBufferPointer,
                    into output: UnsafeMutableRawBufferPointer) throws {
        switch codec {
        case .snappy: try Snappy.decompress(input, into: output)
        case .lz4Raw: try LZ4.decompress(input, into: output)
        case .zstd:
            do { try decompressZstd(input, into: output) } catch {
                zstd = nil
                throw error
            }
        case .gzip: try decompressGzip(input, into: output)
        default: throw ParquetError("compression codec \(codec) is not supported")
        }
    }

    private func decompressZstd(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        let decoder = try zstd ?? ZstdStreamDecoder()
        zstd = decoder
        var position = 0, filled = 0
        var spare: UInt8 = 0
        do {
            while true {
                let room = UnsafeMutableRawBufferPointer(rebasing: output[filled...])
                let n = try decoder.decode(input, position: &position, into: room)
                filled += n
                if filled == output.count { break }
                if n == 0 && position == input.count { break }
            }
            // Full: nothing more may come out of the rest of the input.
            while position < input.count || !decoder.isAtFrameBoundary {
                let n = try withUnsafeMutableBytes(of: &spare) {
                    try decoder.decode(input, position: &position, into: $0)
                }
                if n > 0 { throw ParquetError("zstd data decompresses to more than the page's \(output.count) bytes") }
                if position == input.count { break }
            }
        } catch let failure as ZstdStreamDecoder.Failure {
            throw ParquetError("corrupt zstd data: \(failure.reason)")
        }
        guard filled == output.count, decoder.isAtFrameBoundary else {
            throw ParquetError("zstd data of \(filled) bytes (truncated?) where the page says \(output.count)")
        }
    }

    private func decompressGzip(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        var stream = try GzipByteSource(path: "gzip page", input: MemoryByteSource(bytes: input))
        var filled = 0
        do {
            while filled < output.count {
                let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: output[filled...]))
                if n == 0 { break }
                filled += n
            }
            var spare: UInt8 = 0
            if filled == output.count, try withUnsafeMutableBytes(of: &spare, { try stream.read(into: $0) }) > 0 {
                throw ParquetError("gzip data decompresses to more than the page's \(output.count) bytes")
            }
        } catch let error as MoeDataError {
            throw ParquetError(error.description.replacingOccurrences(of: "gzip page: ", with: ""))
        }
        guard filled == output.count else {
            throw ParquetError("gzip data of \(filled) bytes where the page says \(output.count)")
        }
    }
}
