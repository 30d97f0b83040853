import Foundation
import PackedFormat

/// A manifest says what to read and where to write: named sources, the tokenizer, the output
/// folder and the error policy. It is YAML; every key is checked, unknown keys are errors.
///
/// Relative paths are resolved against the folder that holds the manifest, so a manifest and
/// its data can move together.
public struct Manifest: Sendable {
    public var path: String
    public var name: String
    public var output: String
    public var tokenizer: TokenizerSpec
    public var onError: ErrorPolicy
    public var shardSizeBytes: Int
    public var compressionLevel: Int32
    /// How `packed/` stores the rows' per-token columns (`packed_format`; default explicit).
    public var packedFormat: PackedRowLayout = .explicit
    public var maxDocumentBytes: Int
    public var sources: [SourceSpec]
    /// What the `dedup` stage removes between ingest and mix; nil (no `dedup:`): nothing.
    public var dedup: DedupSpec? = nil

    public func source(named name: String) -> SourceSpec? { sources.first { $0.name == name } }
}

extension Manifest {
    /// Loads and validates a manifest file. Errors name the file and the key path.
    public static func load(path: String) throws -> Manifest {
        try parse(yaml: BoundedYAML.read(path, what: "manifest"), path: path)
    }

    /// Parses and validates manifest text; `path` names the file in errors and anchors relative paths.
    static func parse(yaml text: String, path: String) throws -> Manifest {
        let baseDir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try ManifestReader(file: path, baseDir: baseDir).manifest(YAMLField.document(text, file: path))
    }
}
