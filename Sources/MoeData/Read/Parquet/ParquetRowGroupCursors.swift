import JSON
import Parquet

/// The open cursors of one row group's needed columns, advanced together one row at a time.
struct ParquetRowGroupCursors {
    let rowGroup: Int
    let columns: ParquetColumns
    private var text: ColumnCursor
    private var keep: [ColumnCursor]
    private var id: ColumnCursor?
    /// Number (from 1, across the file) of the next row, and of the row after the group's last.
    private(set) var nextRow: Int
    let endRow: Int

    init(parquet: ParquetFile, input: PositionalFile, rowGroup: Int, firstRow: Int, columns: ParquetColumns,
         codecs: ParquetCodecs) throws {
        self.rowGroup = rowGroup
        self.columns = columns
        func open(_ leaf: Int) throws -> ColumnCursor {
            try ColumnCursor(file: parquet, input: input, rowGroup: rowGroup, column: leaf, decompressor: codecs,
                             maxPageBytes: Self.maxPageBytes)
        }
        text = try open(columns.text)
        keep = try columns.keep.map { try open($0.leaf) }
        id = try columns.id.map(open)
        nextRow = firstRow
        endRow = firstRow + parquet.rows(inRowGroup: rowGroup)
    }

    /// The largest page read (uncompressed). Parquet allows 2 GiB; writers cut pages at about
    /// 1 MiB, and a page holding one huge value is refused here only past 1 GiB.
    static let maxPageBytes = 1 << 30

    var rowsLeft: Int { endRow - nextRow }
    /// Bytes of the texts read so far (the measure of `plan`'s estimate, whose size is the text
    /// column's uncompressed size).
    private(set) var textBytes = 0

    /// Passes over `count` rows without building documents.
    mutating func skip(_ count: Int) throws {
        for _ in 0..<min(count, rowsLeft) {
            try text.skip()
            for k in keep.indices { try keep[k].skip() }
            try id?.skip()
            nextRow += 1
        }
    }

    /// The next row as a document, or as a counted skip (null or invalid text, a kept string that
    /// is not UTF-8, a text over `maxDocumentBytes`). Page faults are thrown, and the row counts
    /// as not read (the caller loses it with the rest of the row group).
    mutating func nextRow(file: InputFile, fileIndex: Int, maxDocumentBytes: Int) throws -> RecordEvent {
        let row = nextRow
        var problem: String?
        let textName = columns.textName
        let text: [UInt8]? = try self.text.withNext { value in
            guard case .bytes(let bytes) = value else {
                problem = "null text"
                return nil
            }
            textBytes += bytes.count
            guard bytes.count <= maxDocumentBytes else {
                problem = "text of \(bytes.count) bytes exceeds max_document_bytes (\(maxDocumentBytes))"
                return nil
            }
            return Array(bytes)
        }
        var meta: [String: JSONValue] = [:]
        for k in keep.indices {
            let column = keep[k].column, name = columns.keep[k].name
            do {
                meta[name] = try keep[k].withNext { try ParquetJSON.value($0, column: column) }
            } catch ParquetJSON.Failure.notUTF8 {
                problem = problem ?? "column '\(name)' is not valid UTF-8 (row group \(rowGroup))"
            }
        }
        var docId: String?
        if let column = id?.column {
            docId = try id?.withNext { value -> String? in
                switch value {
                case .int32(let i): return String(i)
                case .int64(let i): return String(i)
                case .bytes: return (try? ParquetJSON.value(value, column: column))?.stringValue
                default: return nil
                }
            }
        }
        nextRow = row + 1
        let position = RecordPosition(fileIndex: fileIndex, record: row)
        func skip(_ reason: String) -> RecordEvent {
            .skip(SkipRecord(kind: .record, file: file.path, line: row, offset: nil, reason: reason,
                             position: position))
        }
        if let problem { return skip(problem) }
        guard let text else { return skip("null text") }
        if let bad = firstInvalidUTF8(text) {
            return skip("invalid UTF-8 at byte \(bad) of column '\(textName)' (row group \(rowGroup))")
        }
        return .document(Document(docId: docId ?? "\(file.relativePath):\(row)", text: text, meta: .object(meta),
                                  position: position))
    }
}
