/// How a source's files hold documents (`format`).
public enum SourceFormat: String, Sendable, CaseIterable {
    /// One JSON object a line; `.zst`/`.zstd` and `.gz` files are decompressed as streams.
    case jsonl
    /// One document a file (UTF-8 text).
    case text
    /// A folder tree of source files: one document a file, language from the extension.
    case code
    /// Parquet files (`.parquet`): one document a row (`Read/Parquet/`).
    case parquet
}
