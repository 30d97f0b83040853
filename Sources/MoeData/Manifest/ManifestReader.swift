import Foundation
import PackedFormat
import Yams

/// Builds a `Manifest` from its YAML tree with `YAMLField`: every key is checked (typos are
/// refused with a "did you mean"), and relative paths are resolved against `baseDir`, the
/// folder that holds the manifest.
struct ManifestReader {
    let file: String
    let baseDir: String

    static let topKeys = [
        "name", "output", "tokenizer", "on_error", "shard_size", "compression_level",
        "max_document_bytes", "sources", "packed_format", "dedup",
    ]
    static let tokenizerKeys = ["model", "sentinels", "train", "eos"]
    static let trainKeys = ["vocab_size", "sample_mb", "character_coverage", "shares", "user_defined_symbols"]
    static let sourceKeys = [
        "name", "format", "paths", "text_field", "domain", "language", "keep", "extensions",
        "id_field",
    ]

    func manifest(_ document: YAMLField?) throws -> Manifest {
        guard let root = document else {
            throw MoeDataError("\(file): (top level): expected a mapping of keys to values")
        }
        let top = try root.keyed(allowed: Self.topKeys)
        let name =
            try top["name"]?.nonEmptyString()
            ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        guard let output = top["output"] else { throw root.missing("output") }
        var policy = ErrorPolicy.fail
        if let field = top["on_error"] {
            let text = try field.nonEmptyString()
            guard let parsed = ErrorPolicy(rawValue: text) else {
                throw field.error(
                    "'\(text)' is not a policy; use 'fail' (stop at the first bad record) or 'skip' "
                        + "(count it in the catalog and go on)")
            }
            policy = parsed
        }
        var shardSize = 1 << 26
        if let field = top["shard_size"] {
            shardSize = try field.size(minimum: 1024)
            guard shardSize < (1 << 32) else { throw field.error("must be below 4 GiB (MDS offsets are 32-bit)") }
        }
        var level = 3
        if let field = top["compression_level"] {
            level = try field.size(minimum: 1)
            guard level <= 22 else { throw field.error("zstd levels are 1 to 22, got \(level)") }
        }
        guard let tokenizer = top["tokenizer"] else { throw root.missing("tokenizer") }
        var manifest = Manifest(
            path: file, name: name, output: resolve(try output.nonEmptyString()),
            tokenizer: try self.tokenizer(tokenizer), onError: policy, shardSizeBytes: shardSize,
            compressionLevel: Int32(level), packedFormat: try packedFormat(top["packed_format"]),
            maxDocumentBytes: try top["max_document_bytes"]?.size(minimum: 1) ?? 256 << 20,
            sources: try sources(top["sources"], in: root))
        manifest.dedup = try top["dedup"].map { try dedup($0, sources: manifest.sources) }
        try manifest.checkOutputIsolation()
        return manifest
    }

    /// `packed_format`: explicit (the default) or compact.
    func packedFormat(_ field: YAMLField?) throws -> PackedRowLayout {
        guard let field else { return .explicit }
        let text = try field.nonEmptyString()
        guard let layout = PackedRowLayout(rawValue: text) else {
            throw field.error(
                "'\(text)' is not a packed format; use 'explicit' (per-token columns any MDS reader uses as they "
                    + "are) or 'compact' (two integers per segment, expanded by moe-data's readers)")
        }
        return layout
    }

    /// A path as written, with `~` expanded and relative paths taken from the manifest's folder.
    func resolve(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return expanded }
        return URL(fileURLWithPath: baseDir).appendingPathComponent(expanded).standardizedFileURL.path
    }

    func tokenizer(_ field: YAMLField) throws -> TokenizerSpec {
        let keys = try field.keyed(allowed: Self.tokenizerKeys)
        guard let model = keys["model"] else { throw field.missing("model") }
        let path = resolve(try model.nonEmptyString())
        // `train` makes SentencePiece models; a tokenizer.json comes from elsewhere.
        if let train = keys["train"], path.hasSuffix(".json") {
            throw train.error(
                "trains a SentencePiece .model, but tokenizer.model \(path) is a tokenizer.json; "
                    + "remove train, or name a .model file")
        }
        return TokenizerSpec(
            model: path,
            sentinels: try keys["sentinels"].map(sentinels) ?? .appended(SentinelSource.defaultAppendedCount),
            train: try keys["train"].map(trainSpec), eos: try keys["eos"]?.nonEmptyString())
    }

    /// `sentinels`: a whole number of sentinels appended after the pieces, or `from_model`.
    func sentinels(_ field: YAMLField) throws -> SentinelSource {
        if case .scalar = field.node, try field.string() == SentinelSource.fromModelName { return .fromModel }
        guard case .scalar = field.node, let count = try? field.int(minimum: 0) else {
            throw field.error(
                "expected a whole number of sentinels to append (OpenMoE: 300; 0 for a causal-only mixture) "
                    + "or from_model (the model's own <extra_id_k> pieces), got \(field.found)")
        }
        return .appended(count)
    }

    func trainSpec(_ field: YAMLField) throws -> TokenizerSpec.TrainSpec {
        let keys = try field.keyed(allowed: Self.trainKeys)
        var shares: [String: Double] = [:]
        if let field = keys["shares"] {
            guard case .mapping = field.node else { throw field.error("expected a mapping source: weight") }
            for (source, weight) in try field.mapping() {
                guard let w = try? weight.double(), w > 0 else {
                    throw weight.error("expected a positive number, got \(weight.found)")
                }
                shares[source] = w
            }
        }
        var coverage = 0.9995
        if let field = keys["character_coverage"] {
            guard let c = try? field.double(), c > 0, c <= 1 else {
                throw field.error("expected a number in (0, 1], got \(field.found)")
            }
            coverage = c
        }
        return .init(
            vocabSize: try keys["vocab_size"]?.size(minimum: 16) ?? 8000,
            sampleMegabytes: try keys["sample_mb"]?.size(minimum: 1) ?? 20,
            characterCoverage: coverage, shares: shares,
            userDefinedSymbols: try keys["user_defined_symbols"]?.stringList() ?? [])
    }

    func sources(_ field: YAMLField?, in root: YAMLField) throws -> [SourceSpec] {
        guard let field, case .sequence = field.node, let items = try? field.sequence(), !items.isEmpty else {
            throw (field ?? YAMLField(node: root.node, path: "sources", file: file))
                .error("expected a non-empty list of sources")
        }
        var seen: Set<String> = []
        return try items.map { item in
            let spec = try source(item)
            // Folders named `Web` and `web` are one folder on case-insensitive file systems.
            guard seen.insert(spec.name.lowercased()).inserted else {
                throw YAMLField(node: item.node, path: item.child("name"), file: file)
                    .error("'\(spec.name)' is used by two sources (names differing only in case count as one)")
            }
            return spec
        }
    }

    func source(_ item: YAMLField) throws -> SourceSpec {
        let keys = try item.keyed(allowed: Self.sourceKeys)
        guard let nameField = keys["name"] else { throw item.missing("name") }
        let name = try nameField.nonEmptyString()
        if let problem = SourceNames.problem(name) { throw nameField.error(problem) }
        guard let formatField = keys["format"] else { throw item.missing("format") }
        let formatText = try formatField.nonEmptyString()
        guard let format = SourceFormat(rawValue: formatText) else {
            throw formatField.error(
                "'\(formatText)' is not a format; use one of: "
                    + SourceFormat.allCases.map(\.rawValue).joined(separator: ", ")
                    + " (compression is taken from the file extension)")
        }
        let paths = try keys["paths"]?.stringList() ?? []
        guard !paths.isEmpty else { throw item.missing("paths", ": files, folders or globs") }
        guard let domain = keys["domain"] else { throw item.missing("domain") }
        return SourceSpec(
            name: name, format: format, paths: paths.map(resolve),
            textField: try keys["text_field"]?.nonEmptyString() ?? "text",
            domain: try domain.nonEmptyString(),
            language: try keys["language"]?.string(),
            keep: try keys["keep"]?.stringList() ?? [],
            extensions: try keys["extensions"].map(extensions) ?? [:],
            idField: try keys["id_field"]?.string())
    }

    /// `[.py, .c]` (languages from `CodeLanguages`) or `{.py: Python}`; a missing dot is added.
    func extensions(_ field: YAMLField) throws -> [String: String] {
        func dotted(_ ext: String) -> String { ext.hasPrefix(".") ? ext : "." + ext }
        var extensions: [String: String] = [:]
        switch field.node {
        case .mapping:
            for (ext, language) in try field.mapping() { extensions[dotted(ext)] = try language.string() }
        case .sequence:
            for item in try field.sequence() {
                let ext = try item.string()
                extensions[dotted(ext)] = CodeLanguages.language(forExtension: ext) ?? "unknown"
            }
        default:
            throw field.error("expected a list of extensions or a mapping extension: language")
        }
        return extensions
    }
}
