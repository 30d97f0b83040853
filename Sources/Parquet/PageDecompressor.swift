/// Decompresses pages. The Parquet target holds no C library: the caller supplies the codecs (the
/// ingest's wrappers of libsnappy, libzstd, zlib and liblz4), so each C library has one Swift owner.
public protocol PageDecompressor {
    /// The codecs `decompress` accepts; a column chunk in another codec is refused before any read.
    var supported: Set<CompressionCodec> { get }
    /// Decompresses `input` into exactly `output` (its size is the page's uncompressed size).
    /// Data that decodes to another size, or does not decode, is an error saying why.
    func decompress(_ codec: CompressionCodec, _ input: UnsafeRawBufferPointer,
                    into output: UnsafeMutableRawBufferPointer) throws
}
