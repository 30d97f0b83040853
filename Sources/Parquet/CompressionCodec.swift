/// Page compression (parquet.thrift `CompressionCodec`); unknown codes are kept so errors can name them.
public struct CompressionCodec: Hashable, Sendable, CustomStringConvertible {
    public var code: Int32
    public static let uncompressed = Self(code: 0), snappy = Self(code: 1), gzip = Self(code: 2)
    // 3 LZO, 4 BROTLI and 5 LZ4 (Hadoop's framing, deprecated) are named in errors only.
    public static let zstd = Self(code: 6), lz4Raw = Self(code: 7)

    /// The name in parquet.thrift (LZ4 is the deprecated Hadoop-framed codec, LZ4_RAW the block).
    public var description: String {
        let names = ["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"]
        return names.indices.contains(Int(code)) ? names[Int(code)] : "codec \(code)"
    }
}
