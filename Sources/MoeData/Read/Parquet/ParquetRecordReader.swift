import Foundation
import JSON
import Parquet

extension PositionalFile: ParquetInput {}

/// `format: parquet`: one document a row. `text_field` names the text column, `keep` the columns
/// copied into `meta` (a column the file lacks is left out, as a JSONL field is), `id_field` a
/// column of ids. Rows are numbered from 1 across the file (row groups in order): the record
/// number of a row, and the `<file>:<row>` of default document ids.
///
/// Only the needed columns of one row group are read, page by page (`ColumnCursor`). A row group
/// whose pages cannot be read (truncated, corrupt, an unsupported encoding) gives one counted skip
/// for each of its rows not yet read, with the reason; the next row group is read as usual. A file whose
/// footer or schema cannot serve (bad magic, a missing or non-string text column, an unsupported
/// codec) is a fault of the whole file, thrown.
struct ParquetRecordReader: RecordReader {
    let file: InputFile
    let fileIndex: Int
    let codecs = ParquetCodecs()
    let maxDocumentBytes: Int
    /// Opened once: every column chunk is read from it with `pread`.
    let input: PositionalFile
    let parquet: ParquetFile
    let columns: ParquetColumns
    /// Row groups to read, in order, and the next one to open.
    let rowGroups: [Int]
    private var nextGroup = 0
    /// Rows to pass over at the start of the first row group (resume inside it).
    private var skipRows = 0
    private var group: ParquetRowGroupCursors?
    private var lost: LostRows?
    private var bytesBeforeGroup = 0
    /// Text bytes read (uncompressed): comparable with `ParquetLayout.uncompressedBytes`.
    var bytesRead: Int { bytesBeforeGroup + (group?.textBytes ?? 0) }

    /// Reads the row groups whose start lies in `byteRange` (a piece of a partition; all when nil),
    /// from row `fromRow` on (rows before it are not decoded when they fill whole row groups).
    init(file: InputFile, fileIndex: Int, source: SourceSpec, maxDocumentBytes: Int,
         byteRange: Range<Int>? = nil, fromRow: Int = 0) throws {
        self.file = file
        self.fileIndex = fileIndex
        self.maxDocumentBytes = maxDocumentBytes
        input = try PositionalFile(path: file.path)
        do {
            parquet = try ParquetFile(input: input)
            columns = try ParquetColumns(parquet.schema, source: source)
        } catch let error as ParquetError {
            throw MoeDataError("\(file.path): \(error.reason)")
        }
        var groups = Array(0..<parquet.rowGroupCount)
        if let byteRange {
            guard let starts = parquet.rowGroupStarts else {
                throw MoeDataError("\(file.path): the row groups no longer lie in file order (the file changed "
                    + "since the partition was planned)")
            }
            groups = groups.filter { byteRange.contains(starts[$0]) }
        }
        var before = 0
        for g in 0..<parquet.rowGroupCount {
            let rows = parquet.rows(inRowGroup: g)
            if groups.first == g && before + rows < fromRow {
                groups.removeFirst()
            } else if groups.first == g {
                skipRows = max(0, fromRow - 1 - before)
                break
            }
            before += rows
        }
        rowGroups = groups
        try checkCodecs()
    }

    /// An unsupported codec in any needed chunk fails the file at once, not row by row.
    private func checkCodecs() throws {
        for g in rowGroups {
            for c in columns.leaves {
                guard let codec = parquet.metadata.rowGroups[g].columns[c].meta?.codec,
                    !codecs.supported.contains(codec)
                else { continue }
                let names = codecs.supported.map(\.description).sorted().joined(separator: ", ")
                throw MoeDataError("\(file.path): row group \(g), column '\(parquet.schema.leaves[c].name)': "
                    + "compression codec \(codec) is not supported (supported: \(names))")
            }
        }
    }

    mutating func next() throws -> RecordEvent? {
        let file = file, fileIndex = fileIndex, maxDocumentBytes = maxDocumentBytes
        while true {
            if let skip = lost?.next(file: file, fileIndex: fileIndex) {
                if lost?.isDone == true { lost = nil }
                return .skip(skip)
            }
            lost = nil
            if (group?.rowsLeft ?? 0) > 0 {  // not `if let`: a copy of the cursors would cost every row
                do {
                    return try group?.nextRow(file: file, fileIndex: fileIndex, maxDocumentBytes: maxDocumentBytes)
                } catch let error as ParquetError {
                    lose(error)
                    continue
                }
            }
            guard nextGroup < rowGroups.count else { return nil }
            try openGroup()
        }
    }

    private mutating func openGroup() throws {
        bytesBeforeGroup += group?.textBytes ?? 0
        group = nil
        let g = rowGroups[nextGroup]
        nextGroup += 1
        let firstRow = parquet.rowsBefore(rowGroup: g) + 1
        let skip = skipRows
        skipRows = 0
        do {
            group = try ParquetRowGroupCursors(
                parquet: parquet, input: input, rowGroup: g, firstRow: firstRow, columns: columns, codecs: codecs)
            try group?.skip(skip)
        } catch let error as ParquetError {
            let rows = parquet.rows(inRowGroup: g)
            lost = LostRows(next: firstRow + skip, end: firstRow + rows, reason: error.reason)
            group = nil
        }
    }

    /// The rows of the open row group not read yet become counted skips.
    private mutating func lose(_ error: ParquetError) {
        guard let g = group else { return }
        lost = LostRows(next: g.nextRow, end: g.endRow, reason: error.reason)
        bytesBeforeGroup += g.textBytes
        group = nil
    }
}
