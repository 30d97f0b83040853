/// A Parquet file's footer, decoded and checked: the schema, the row groups and where every
/// column chunk lies. Opening reads only the last bytes of the file.
public struct ParquetFile: Sendable {
    public let metadata: FileMetadata
    public let schema: ParquetSchema
    /// Where the footer (FileMetaData) starts: every page must end before it.
    public let footerStart: Int
    public let size: Int

    static let magic: [UInt8] = Array("PAR1".utf8)

    public init(input: some ParquetInput) throws {
        let size = input.size
        self.size = size
        guard size >= 12 else {
            throw ParquetError("not a Parquet file: \(size) bytes, fewer than the 12 of the magic and footer length")
        }
        var head = [UInt8](repeating: 0, count: 4), tail = [UInt8](repeating: 0, count: 8)
        _ = try head.withUnsafeMutableBytes { try input.read(at: 0, into: $0) }
        guard try tail.withUnsafeMutableBytes({ try input.read(at: size - 8, into: $0) }) == 8 else {
            throw ParquetError("the file ended while its last 8 bytes were read")
        }
        if Array(tail[4...]) == Array("PARE".utf8) {
            throw ParquetError("an encrypted Parquet file (footer magic PARE): encryption is not supported")
        }
        guard head == Self.magic, Array(tail[4...]) == Self.magic else {
            throw ParquetError("not a Parquet file: bad magic (the file must start and end with PAR1)")
        }
        let length = Int(tail[0]) | Int(tail[1]) << 8 | Int(tail[2]) << 16 | Int(tail[3]) << 24
        guard length > 0, length <= size - 12 else {
            throw ParquetError("the footer length \(length) does not fit in the file's \(size) bytes")
        }
        let footerStart = size - 8 - length
        self.footerStart = footerStart
        var footer = [UInt8](repeating: 0, count: length)
        guard try footer.withUnsafeMutableBytes({ try input.read(at: footerStart, into: $0) }) == length else {
            throw ParquetError("the file ended while its footer was read")
        }
        let decoded: FileMetadata
        do { decoded = try footer.withUnsafeBytes { try FileMetadata.decode($0) } } catch let e as ParquetError {
            throw e.at("footer")
        }
        metadata = decoded
        schema = try ParquetSchema(decoded.schema)
        try check()
    }

    /// The footer's promises this reader relies on: each row group has a chunk per leaf, rows that
    /// add up, and chunks inside the data part of the file.
    private func check() throws {
        guard metadata.numRows >= 0 else { throw ParquetError("the footer says the file has \(metadata.numRows) rows") }
        var rows: Int64 = 0
        for (g, group) in metadata.rowGroups.enumerated() {
            guard group.numRows >= 0 else { throw ParquetError("row group \(g) has \(group.numRows) rows") }
            let (sum, overflow) = rows.addingReportingOverflow(group.numRows)
            guard !overflow else { throw ParquetError("the row groups' rows add up past 2^63") }
            rows = sum
            guard group.columns.count == schema.leaves.count else {
                throw ParquetError("row group \(g) has \(group.columns.count) column chunks for "
                    + "\(schema.leaves.count) schema columns")
            }
        }
        guard rows == metadata.numRows else {
            throw ParquetError("the row groups hold \(rows) rows, the footer says \(metadata.numRows)")
        }
    }

    public var rowGroupCount: Int { metadata.rowGroups.count }

    public func rows(inRowGroup g: Int) -> Int { Int(metadata.rowGroups[g].numRows) }

    /// Rows before row group `g` (row numbers of a file count from its first row group).
    public func rowsBefore(rowGroup g: Int) -> Int {
        metadata.rowGroups[..<g].reduce(0) { $0 + Int($1.numRows) }
    }

    /// Where each row group starts in the file: the smallest start of its chunks, and for the
    /// first one 0 (the magic belongs to it). nil when the starts do not ascend (then the file
    /// cannot be cut between row groups).
    public var rowGroupStarts: [Int]? {
        var starts: [Int] = []
        for (g, group) in metadata.rowGroups.enumerated() {
            let start = g == 0 ? 0 : group.columns.compactMap { $0.meta.map { Int($0.startOffset) } }.min() ?? -1
            guard start >= (starts.last.map { $0 + 1 } ?? 0), start < footerStart else { return nil }
            starts.append(start)
        }
        return starts
    }

    /// Checks that the chunk of leaf `column` in row group `g` can be read (metadata, placement, a
    /// single file) and returns its metadata and byte range.
    public func chunk(rowGroup g: Int, column: Int) throws -> (ColumnMetadata, Range<Int>) {
        let place = "row group \(g), column '\(schema.leaves[column].name)'"
        let chunk = metadata.rowGroups[g].columns[column]
        guard chunk.filePath == nil else {
            throw ParquetError("\(place): the column chunk is in another file (\(chunk.filePath ?? "")), not supported")
        }
        guard let meta = chunk.meta else { throw ParquetError("\(place): the column chunk has no metadata") }
        let start = Int(meta.startOffset), length = Int(meta.totalCompressedSize)
        guard start >= 4, length >= 0, start <= footerStart, length <= footerStart - start else {
            throw ParquetError("\(place): the column chunk (\(length) bytes at byte \(start)) lies outside the "
                + "file's data (bytes 4 to \(footerStart))")
        }
        guard meta.type == schema.leaves[column].physicalType.rawValue else {
            throw ParquetError("\(place): the chunk's type \(meta.type) differs from the schema's")
        }
        return (meta, start..<(start + length))
    }
}
