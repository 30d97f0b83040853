/// Parquet's physical types (parquet.thrift `Type`).
public enum PhysicalType: Int32, Sendable, CustomStringConvertible {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7

    public var description: String {
        switch self {
        case .boolean: "BOOLEAN"
        case .int32: "INT32"
        case .int64: "INT64"
        case .int96: "INT96"
        case .float: "FLOAT"
        case .double: "DOUBLE"
        case .byteArray: "BYTE_ARRAY"
        case .fixedLenByteArray: "FIXED_LEN_BYTE_ARRAY"
        }
    }
}

/// Value and level encodings (parquet.thrift `Encoding`); unknown codes are kept so errors can name them.
public struct Encoding: Hashable, Sendable, CustomStringConvertible {
    public var code: Int32
    public static let plain = Encoding(code: 0)
    public static let plainDictionary = Encoding(code: 2)
    public static let rle = Encoding(code: 3)
    // 4 BIT_PACKED: deprecated levels, named in errors only.
    public static let deltaBinaryPacked = Encoding(code: 5)
    public static let deltaLengthByteArray = Encoding(code: 6)
    public static let deltaByteArray = Encoding(code: 7)
    public static let rleDictionary = Encoding(code: 8)
    public static let byteStreamSplit = Encoding(code: 9)

    static let names: [Int32: String] = [
        0: "PLAIN", 2: "PLAIN_DICTIONARY", 3: "RLE", 4: "BIT_PACKED", 5: "DELTA_BINARY_PACKED",
        6: "DELTA_LENGTH_BYTE_ARRAY", 7: "DELTA_BYTE_ARRAY", 8: "RLE_DICTIONARY", 9: "BYTE_STREAM_SPLIT",
    ]

    public var description: String { Self.names[code] ?? "encoding \(code)" }
}

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

/// `REQUIRED`, `OPTIONAL` or `REPEATED`.
public enum Repetition: Int32, Sendable {
    case required = 0, optional = 1, repeated = 2
}
