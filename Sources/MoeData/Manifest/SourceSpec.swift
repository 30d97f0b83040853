/// One entry of the manifest's `sources`.
public struct SourceSpec: Sendable {
    public var name: String
    public var format: SourceFormat
    /// Files, folders or glob patterns (`*`, `?`, `**`), resolved against the manifest folder.
    public var paths: [String]
    /// JSONL field that holds the document text (`text` for RedPajama, `content` for The Stack).
    public var textField: String
    public var domain: String
    public var language: String?
    /// JSONL fields copied into each document's `meta`.
    public var keep: [String]
    /// For `code` (and folder walks of `text`): file extensions to take, with the language
    /// each one means (`.py: python`). Empty means every file.
    public var extensions: [String: String]
    /// A JSONL field holding a stable document id; default: `<file>:<line>`.
    public var idField: String?
}
