import Parquet

/// What the planners need from a Parquet file's footer, without reading any page.
enum ParquetLayout {
    /// Where each row group starts (the first at 0), for the ingest partition; nil when the footer
    /// cannot be read or the row groups are not in file order.
    static func rowGroupStarts(path: String) -> [Int]? {
        guard let input = try? PositionalFile(path: path), let file = try? ParquetFile(input: input) else { return nil }
        return file.rowGroupStarts
    }

    /// Uncompressed bytes of the text column (`plan`'s size, to which it applies the bytes per token
    /// measured on the texts read), from the footer; the file's size when the footer cannot be read.
    static func uncompressedBytes(path: String, size: Int, source: SourceSpec) -> Int {
        guard let input = try? PositionalFile(path: path), let file = try? ParquetFile(input: input),
            let columns = try? ParquetColumns(file.schema, source: source)
        else { return size }
        var total = 0
        for group in file.metadata.rowGroups {
            total += Int(clamping: max(0, group.columns[columns.text].meta?.totalUncompressedSize ?? 0))
        }
        return total
    }
}
