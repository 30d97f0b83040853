/// Where the build steps hand the rows they close: the write step, a slice's writer (which
/// drops what lies outside its slice), or a test's recorder of the steps' states.
protocol RowSink {
    /// Takes a closed row; `from` is the state of the steps before the example that closed it.
    /// Returns false to stop the build before this row (which is then not taken).
    mutating func take(_ closed: PackStep.ClosedRow, from: ResumePoint) throws -> Bool
}

extension RowWriteStep: RowSink {
    func take(_ closed: PackStep.ClosedRow, from: ResumePoint) throws -> Bool {
        try write(closed, from: from)
        return true
    }
}
