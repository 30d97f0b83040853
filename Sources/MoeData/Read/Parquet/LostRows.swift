/// Rows of a row group that cannot be read, handed out as one skip each. The reason names the
/// row group, the column and the page offset at fault.
struct LostRows {
    var next: Int
    let end: Int
    let reason: String

    var isDone: Bool { next >= end }

    mutating func next(file: InputFile, fileIndex: Int) -> SkipRecord? {
        guard next < end else { return nil }
        defer { next += 1 }
        return SkipRecord(kind: .record, file: file.path, line: next, offset: nil, reason: reason,
                          position: RecordPosition(fileIndex: fileIndex, record: next))
    }
}
