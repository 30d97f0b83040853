/// What ingest does with a bad record (`on_error`).
public enum ErrorPolicy: String, Sendable, CaseIterable {
    /// Stop at the first bad record with its file, line or offset and the reason.
    case fail
    /// Count and record every bad record in the catalog, and go on.
    case skip
}
