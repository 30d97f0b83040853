import CSnappy
import Parquet

/// The one owner of libsnappy calls: raw (unframed) snappy blocks, as Parquet's SNAPPY pages hold.
enum Snappy {
    /// Decompresses `input` into exactly `output`: the block's recorded length must be its size.
    /// libsnappy checks every copy and literal against both buffers, so corrupt input is an error.
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        let source = input.baseAddress?.assumingMemoryBound(to: CChar.self)
        var length = 0
        guard snappy_uncompressed_length(source, input.count, &length) == SNAPPY_OK else {
            throw ParquetError("corrupt snappy data (no valid length header)")
        }
        guard length == output.count else {
            throw ParquetError("snappy data of \(length) bytes where the page says \(output.count)")
        }
        var written = output.count
        let status = snappy_uncompress(
            source, input.count, output.baseAddress?.assumingMemoryBound(to: CChar.self), &written)
        guard status == SNAPPY_OK, written == output.count else {
            throw ParquetError("corrupt snappy data (libsnappy status \(status.rawValue))")
        }
    }
}
