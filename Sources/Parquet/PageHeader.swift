/// A page's header (parquet.thrift `PageHeader` with its data, data v2 or dictionary part).
struct PageHeader: ThriftDecodable {
    enum Kind: Int32 {
        case data = 0, index = 1, dictionary = 2, dataV2 = 3
    }

    var type: Int32 = -1
    var uncompressedSize: Int32 = -1
    var compressedSize: Int32 = -1
    /// `DataPageHeader`, and `DictionaryPageHeader`, whose fields 1 and 2 are the same.
    var data = DataPart()
    var dataV2 = DataV2Part()

    var kind: Kind? { Kind(rawValue: type) }
    /// Values (levels included: nulls count) in a data page; entries in a dictionary page.
    var numValues: Int32 { kind == .dataV2 ? dataV2.numValues : data.numValues }
    var encoding: Encoding { kind == .dataV2 ? dataV2.encoding : data.encoding }
    var definitionLevelEncoding: Encoding { data.definitionLevelEncoding }

    /// Reads a header from `reader`; the sizes are checked to be non-negative, the rest by the caller.
    static func read(_ reader: inout ThriftCompactReader) throws -> PageHeader {
        let h = try reader.read(PageHeader.self)
        guard h.uncompressedSize >= 0, h.compressedSize >= 0, h.kind != nil else {
            throw ParquetError(
                "a page header without a valid type and sizes (type \(h.type), \(h.compressedSize) bytes compressed, "
                    + "\(h.uncompressedSize) uncompressed)")
        }
        return h
    }

    mutating func decodeField(_ id: Int16, _ type: ThriftCompactReader.FieldType,
                              from r: inout ThriftCompactReader) throws {
        switch (id, type) {
        case (1, .i32): self.type = try r.readI32()
        case (2, .i32): uncompressedSize = try r.readI32()
        case (3, .i32): compressedSize = try r.readI32()
        case (5, .structure), (7, .structure): data = try r.read(DataPart.self)
        case (8, .structure): dataV2 = try r.read(DataV2Part.self)
        default: try r.skip(type)
        }
    }

    struct DataPart: ThriftDecodable {
        var numValues: Int32 = -1
        var encoding = Encoding.plain
        var definitionLevelEncoding = Encoding.rle

        mutating func decodeField(_ id: Int16, _ type: ThriftCompactReader.FieldType,
                                  from r: inout ThriftCompactReader) throws {
            switch (id, type) {
            case (1, .i32): numValues = try r.readI32()
            case (2, .i32): encoding = Encoding(code: try r.readI32())
            case (3, .i32): definitionLevelEncoding = Encoding(code: try r.readI32())
            default: try r.skip(type)
            }
        }
    }

    /// Data page v2: level bytes (never compressed) before the values, and whether the values are compressed.
    struct DataV2Part: ThriftDecodable {
        var numValues: Int32 = -1
        var encoding = Encoding.plain
        var definitionLevelsLength: Int32 = 0
        var repetitionLevelsLength: Int32 = 0
        var isCompressed = true

        mutating func decodeField(_ id: Int16, _ type: ThriftCompactReader.FieldType,
                                  from r: inout ThriftCompactReader) throws {
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
