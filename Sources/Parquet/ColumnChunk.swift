/// Where a column chunk lives (parquet.thrift `ColumnChunk`), with its metadata.
public struct ColumnChunk: Sendable {
    /// Set when the chunk lives in another file; this reader reads single files only.
    public var filePath: String?
    public var meta: ColumnMetadata?
}
