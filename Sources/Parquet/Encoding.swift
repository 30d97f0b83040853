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
