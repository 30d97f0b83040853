/// The parts of a Parquet footer (parquet.thrift `FileMetaData`) this reader uses. Everything
/// else (statistics, indexes, key-value metadata) is skipped while decoding.
public struct FileMetadata: Sendable {
    public var version: Int32 = 0
    public var schema: [SchemaElement] = []
    public var numRows: Int64 = 0
    public var rowGroups: [RowGroup] = []
    public var createdBy: String?
}
