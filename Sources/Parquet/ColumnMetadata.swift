/// A column chunk's metadata (parquet.thrift `ColumnMetaData`): type, codec, values and placement.
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
