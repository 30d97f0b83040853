/// The parts of a Parquet footer (parquet.thrift `FileMetaData`) this reader uses. Everything
/// else (statistics, indexes, key-value metadata) is skipped while decoding.
public struct FileMetadata: Sendable {
    public var version: Int32 = 0
    public var schema: [SchemaElement] = []
    public var numRows: Int64 = 0
    public var rowGroups: [RowGroup] = []
    public var createdBy: String?
}

/// One node of the flattened schema tree (depth-first; the root first).
public struct SchemaElement: Sendable {
    public var name = ""
    /// The physical type's code; nil for a group.
    public var type: Int32?
    public var typeLength: Int32?
    public var repetition: Repetition?
    public var numChildren: Int32?
    public var convertedType: Int32?
    public var scale: Int32?
    public var precision: Int32?
    public var logicalType: LogicalType?
}

public struct RowGroup: Sendable {
    public var columns: [ColumnChunk] = []
    public var totalByteSize: Int64 = 0
    public var numRows: Int64 = 0
    public var fileOffset: Int64?
    public var totalCompressedSize: Int64?
}

public struct ColumnChunk: Sendable {
    /// Set when the chunk lives in another file; this reader reads single files only.
    public var filePath: String?
    public var meta: ColumnMetadata?
}

public struct ColumnMetadata: Sendable {
    public var type: Int32 = 0
    public var encodings: [Int32] = []
    public var pathInSchema: [String] = []
    public var codec = CompressionCodec.uncompressed
    public var numValues: Int64 = 0
    public var totalUncompressedSize: Int64 = 0
    public var totalCompressedSize: Int64 = 0
    public var dataPageOffset: Int64 = 0
    public var dictionaryPageOffset: Int64?

    /// Where the chunk's first page starts: its dictionary page when there is one. (Some writers
    /// record a dictionary offset of 0 for "none"; a dictionary page never sits at 0, the magic does.)
    public var startOffset: Int64 {
        if let d = dictionaryPageOffset, d > 0, d < dataPageOffset { return d }
        return dataPageOffset
    }
}

extension FileMetadata {
    /// Decodes a footer (the bytes between the start of FileMetaData and the length word).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws -> FileMetadata {
        var reader = ThriftCompactReader(bytes)
        var meta = FileMetadata()
        try reader.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32): meta.version = try r.readI32()
            case (2, .list): meta.schema = try r.readList { r, _ in try SchemaElement.read(&r) }
            case (3, .i64): meta.numRows = try r.readI64()
            case (4, .list): meta.rowGroups = try r.readList { r, _ in try RowGroup.read(&r) }
            case (6, .binary): meta.createdBy = try r.readString()
            default: try r.skip(type)
            }
        }
        return meta
    }
}

extension SchemaElement {
    static func read(_ reader: inout ThriftCompactReader) throws -> SchemaElement {
        var e = SchemaElement()
        try reader.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32): e.type = try r.readI32()
            case (2, .i32): e.typeLength = try r.readI32()
            case (3, .i32): e.repetition = Repetition(rawValue: try r.readI32())
            case (4, .binary): e.name = try r.readString()
            case (5, .i32): e.numChildren = try r.readI32()
            case (6, .i32): e.convertedType = try r.readI32()
            case (7, .i32): e.scale = try r.readI32()
            case (8, .i32): e.precision = try r.readI32()
            case (10, .structure): e.logicalType = try LogicalType.read(&r)
            default: try r.skip(type)
            }
        }
        return e
    }
}

extension RowGroup {
    static func read(_ reader: inout ThriftCompactReader) throws -> RowGroup {
        var g = RowGroup()
        try reader.readStruct { r, id, type in
            switch (id, type) {
            case (1, .list): g.columns = try r.readList { r, _ in try ColumnChunk.read(&r) }
            case (2, .i64): g.totalByteSize = try r.readI64()
            case (3, .i64): g.numRows = try r.readI64()
            case (5, .i64): g.fileOffset = try r.readI64()
            case (6, .i64): g.totalCompressedSize = try r.readI64()
            default: try r.skip(type)
            }
        }
        return g
    }
}

extension ColumnChunk {
    static func read(_ reader: inout ThriftCompactReader) throws -> ColumnChunk {
        var c = ColumnChunk()
        try reader.readStruct { r, id, type in
            switch (id, type) {
            case (1, .binary): c.filePath = try r.readString()
            case (3, .structure): c.meta = try ColumnMetadata.read(&r)
            default: try r.skip(type)
            }
        }
        return c
    }
}

extension ColumnMetadata {
    static func read(_ reader: inout ThriftCompactReader) throws -> ColumnMetadata {
        var m = ColumnMetadata()
        try reader.readStruct { r, id, type in
            switch (id, type) {
            case (1, .i32): m.type = try r.readI32()
            case (2, .list): m.encodings = try r.readI32List()
            case (3, .list): m.pathInSchema = try r.readStringList()
            case (4, .i32): m.codec = CompressionCodec(code: try r.readI32())
            case (5, .i64): m.numValues = try r.readI64()
            case (6, .i64): m.totalUncompressedSize = try r.readI64()
            case (7, .i64): m.totalCompressedSize = try r.readI64()
            case (9, .i64): m.dataPageOffset = try r.readI64()
            case (11, .i64): m.dictionaryPageOffset = try r.readI64()
            default: try r.skip(type)
            }
        }
        return m
    }
}
