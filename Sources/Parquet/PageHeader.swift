/// A page's header (parquet.thrift `PageHeader` with its data, data v2 and dictionary parts).
struct PageHeader {
    enum Kind: Int32 {
        case data = 0, index = 1, dictionary = 2, dataV2 = 3
    }

    var type: Int32 = -1
    var uncompressedSize: Int32 = -1
    var compressedSize: Int32 = -1
    /// Values (levels included: nulls count) in a data page; entries in a dictionary page.
    var numValues: Int32 = -1
    var encoding = Encoding.plain
    var definitionLevelEncoding = Encoding.rle
    var repetitionLevelEncoding = Encoding.rle
    /// Data page v2: level bytes (never compressed) before the values, and whether the values are compressed.
    var definitionLevelsLength: Int32 = 0
    var repetitionLevelsLength: Int32 = 0
    var isCompressed = true

    var kind: Kind? { Kind(rawValue: type) }

    /// Reads a header from `reader`; the sizes are checked to be non-negative, the rest by the caller.
    static func read(_ reader: inout ThriftCompactReader) throws -> PageHeader {
        var h = PageHeader()
        try reader.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32): h.type = try r.readI32()
            case (2, .i32): h.uncompressedSize = try r.readI32()
            case (3, .i32): h.compressedSize = try r.readI32()
            case (5, .structure): try h.readDataPage(&r)
            case (7, .structure): try h.readDictionaryPage(&r)
            case (8, .structure): try h.readDataPageV2(&r)
            default: try r.skip(type)
            }
        }
        guard h.uncompressedSize >= 0, h.compressedSize >= 0, h.kind != nil else {
            throw ParquetError(
                "a page header without a valid type and sizes (type \(h.type), \(h.compressedSize) bytes compressed, "
                    + "\(h.uncompressedSize) uncompressed)")
        }
        return h
    }

    private mutating func readDataPage(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32): numValues = try r.readI32()
            case (2, .i32): encoding = Encoding(code: try r.readI32())
            case (3, .i32): definitionLevelEncoding = Encoding(code: try r.readI32())
            case (4, .i32): repetitionLevelEncoding = Encoding(code: try r.readI32())
            default: try r.skip(type)
            }
        }
    }

    private mutating func readDictionaryPage(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32): numValues = try r.readI32()
            case (2, .i32): encoding = Encoding(code: try r.readI32())
            default: try r.skip(type)
            }
        }
    }

    private mutating func readDataPageV2(_ reader: inout ThriftCompactReader) throws {
        try reader.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32): numValues = try r.readI32()
            case (4, .i32): encoding = Encoding(code: try r.readI32())
            case (5, .i32): definitionLevelsLength = try r.readI32()
            case (6, .i32): repetitionLevelsLength = try r.readI32()
            case (7, .boolTrue), (7, .boolFalse): isCompressed = try r.bool(type)
            default: try r.skip(type)
            }
        }
    }
}
