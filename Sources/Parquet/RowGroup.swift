/// A row group of the footer (parquet.thrift `RowGroup`): its rows and one column chunk per leaf.
public struct RowGroup: Sendable {
    public var columns: [ColumnChunk] = []
    public var totalByteSize: Int64 = 0
    public var numRows: Int64 = 0
    public var fileOffset: Int64?
    public var totalCompressedSize: Int64?
}
