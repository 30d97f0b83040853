import CLZ4
import Parquet

/// The one owner of liblz4 calls: raw LZ4 blocks (Parquet's LZ4_RAW pages).
enum LZ4 {
    /// Decompresses one block into exactly `output`; `LZ4_decompress_safe` never writes or reads
    /// outside the two buffers, whatever the input.
    static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        guard input.count <= Int(Int32.max), output.count <= Int(Int32.max) else {
            throw ParquetError("an LZ4 block over 2 GiB")
        }
        let n = LZ4_decompress_safe(
            input.baseAddress?.assumingMemoryBound(to: CChar.self),
            output.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(input.count), Int32(output.count))
        guard n >= 0 else { throw ParquetError("corrupt LZ4 data") }
        guard Int(n) == output.count else {
            throw ParquetError("LZ4 data of \(n) bytes where the page says \(output.count)")
        }
    }
}
