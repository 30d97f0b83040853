// How the footer's structs read themselves from Thrift compact bytes: each takes the fields it
// knows by id and type, and skips the rest.

extension FileMetadata: ThriftDecodable {
    /// Decodes a footer (the bytes between the start of FileMetaData and the length word).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> FileMetadata {
        var reader = ThriftCompactReader(bytes)
        return try reader.read(FileMetadata.self)
    }

    mutating func decodeField(_ id: Int16, _ type: ThriftCompactReader.FieldType,
                              from r: inout ThriftCompactReader) throws {
        switch (id, type) {
        case (1, .i32): version = try r.readI32()
        case (2, .list): schema = try r.readList { r, _ in try r.read(SchemaElement.self) }
        case (3, .i64): numRows = try r.readI64()
        case (4, .list): rowGroups = try r.readList { r, _ in try r.read(RowGroup.self) }
        case (6, .binary): createdBy = try r.readString()
        default: try r.skip(type)
        }
    }
}

extension SchemaElement: ThriftDecodable {
    mutating func decodeField(_ id: Int16, _ type: ThriftCompactReader.FieldType,
                              from r: inout ThriftCompactReader) throws {
        if type == .i32, (1...8).contains(id) {
            let value = try r.readI32()
            switch id {
            case 1: self.type = value
            case 2: typeLength = value
            case 3: repetition = Repetition(rawValue: value)
            case 5: numChildren = value
            case 6: convertedType = value
            case 7: scale = value
            case 8: precision = value
            default: break  // field 4 is the name, a string
            }
        } else if id == 4, type == .binary {
            name = try r.readString()
        } else if id == 10, type == .structure {
            logicalType = try LogicalType.read(&r)
        } else {
            try r.skip(type)
        }
    }
}

extension RowGroup: ThriftDecodable {
    mutating func decodeField(_ id: Int16, _ type: ThriftCompactReader.FieldType,
                              from r: inout ThriftCompactReader) throws {
        switch (id, type) {
        case (1, .list): columns = try r.readList { r, _ in try r.read(ColumnChunk.self) }
        case (2, .i64): totalByteSize = try r.readI64()
        case (3, .i64): numRows = try r.readI64()
        case (5, .i64): fileOffset = try r.readI64()
        case (6, .i64): totalCompressedSize = try r.readI64()
        default: try r.skip(type)
        }
    }
}

extension ColumnChunk: ThriftDecodable {
    mutating func decodeField(_ id: Int16, _ type: ThriftCompactReader.FieldType,
                              from r: inout ThriftCompactReader) throws {
        switch (id, type) {
        case (1, .binary): filePath = try r.readString()
        case (3, .structure): meta = try r.read(ColumnMetadata.self)
        default: try r.skip(type)
        }
    }
}

extension ColumnMetadata: ThriftDecodable {
    mutating func decodeField(_ id: Int16, _ type: ThriftCompactReader.FieldType,
                              from r: inout ThriftCompactReader) throws {
        guard type != .i64 else {
            let value = try r.readI64()
            switch id {
            case 5: numValues = value
            case 6: totalUncompressedSize = value
            case 7: totalCompressedSize = value
            case 9: dataPageOffset = value
            case 11: dictionaryPageOffset = value
            default: break  // index page, bloom filter offsets: not used
            }
            return
        }
        switch (id, type) {
        case (1, .i32): self.type = try r.readI32()
        case (2, .list): encodings = try r.readI32List()
        case (3, .list): pathInSchema = try r.readStringList()
        case (4, .i32): codec = CompressionCodec(code: try r.readI32())
        default: try r.skip(type)
        }
    }
}
