import Foundation
import Yams

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
    public var maxDocumentBytes: Int
    public var sources: [SourceSpec]

    public func source(named name: String) -> SourceSpec? { sources.first { $0.name == name } }
}

public enum ErrorPolicy: String, Sendable, CaseIterable {
    /// Stop at the first bad record with its file, line or offset and the reason.
    case fail
    /// Count and record every bad record in the catalog, and go on.
    case skip
}

public enum SourceFormat: String, Sendable, CaseIterable {
    /// One JSON object a line; `.zst`/`.zstd` and `.gz` files are decompressed as streams.
    case jsonl
    /// One document a file (UTF-8 text).
    case text
    /// A folder tree of source files: one document a file, language from the extension.
    case code
}

public struct TokenizerSpec: Sendable {
    /// Path of the SentencePiece `.model`.
    public var model: String
    public var sentinels: Int
    /// When set and the model file is missing, `build` trains one with these settings.
    public var train: TrainSpec?

    public struct TrainSpec: Sendable {
        public var vocabSize: Int
        public var sampleMegabytes: Int
        public var characterCoverage: Double
        /// Per-source shares of the training sample (source name → weight); default: equal.
        public var shares: [String: Double]
        public var userDefinedSymbols: [String]
    }
}

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

/// Known top-level and per-source keys, so typos are caught rather than ignored.
enum ManifestKeys {
    static let top: Set<String> = ["name", "output", "tokenizer", "on_error", "shard_size", "compression_level",
                                   "max_document_bytes", "sources"]
    static let tokenizer: Set<String> = ["model", "sentinels", "train"]
    static let train: Set<String> = ["vocab_size", "sample_mb", "character_coverage", "shares", "user_defined_symbols"]
    static let source: Set<String> = ["name", "format", "paths", "text_field", "domain", "language", "keep",
                                      "extensions", "id_field"]
}

extension Manifest {
    /// Loads and validates a manifest file. Errors name the file and the key path.
    public static func load(path: String) throws -> Manifest {
        try parse(yaml: BoundedYAML.read(path, what: "manifest"), path: path)
    }

    /// Parses and validates manifest text; `path` names the file in errors and anchors relative paths.
    static func parse(yaml text: String, path: String) throws -> Manifest {
        try BoundedYAML.refuseAliases(text, file: path)
        let composed: Node?
        do { composed = try Yams.compose(yaml: text) } catch {
            throw MoeDataError("\(path): invalid YAML: \(error)")
        }
        if let composed, let key = YAMLKeyCheck.firstNonScalarKey(in: composed) {
            let line = key.mark.map { ":\($0.line)" } ?? ""
            throw MoeDataError("\(path)\(line): a key must be a plain name, not a list or a mapping")
        }
        let node = composed?.any
        var y = YAMLReader(file: path, root: node)
        return try y.manifest(baseDir: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }
}

/// Typed access to a parsed YAML tree with errors that say `file: key.path: what is wrong (expected ...)`.
struct YAMLReader {
    let file: String
    let root: Any?

    func fail(_ key: String, _ message: String) -> MoeDataError { MoeDataError("\(file): \(key): \(message)") }

    func dict(_ value: Any?, _ key: String, allowed: Set<String>) throws -> [String: Any] {
        guard let d = value as? [String: Any] else {
            if value == nil && !key.isEmpty && !key.contains(".") && !key.contains("[") {
                throw fail(key, "missing (required)")
            }
            throw fail(key.isEmpty ? "(top level)" : key, "expected a mapping of keys to values")
        }
        for k in d.keys.sorted() where !allowed.contains(k) {
            let suggestion = allowed.min { editDistance($0, k) < editDistance($1, k) }
            let hint = suggestion.map { editDistance($0, k) <= 3 ? " (did you mean '\($0)'?)" : "" } ?? ""
            throw fail(key.isEmpty ? k : "\(key).\(k)", "unknown key\(hint); allowed keys: \(allowed.sorted().joined(separator: ", "))")
        }
        return d
    }

    func string(_ d: [String: Any], _ k: String, _ key: String, default def: String? = nil) throws -> String {
        guard let v = d[k] else {
            if let def { return def }
            throw fail(key + k, "missing (required)")
        }
        if let s = v as? String, !s.isEmpty { return s }
        if let i = v as? Int { return String(i) }
        throw fail(key + k, "expected a non-empty string, got \(describe(v))")
    }

    func int(_ d: [String: Any], _ k: String, _ key: String, default def: Int, min: Int = 0) throws -> Int {
        guard let v = d[k] else { return def }
        let value: Int
        if let i = v as? Int { value = i }
        else if let s = v as? String, let b = ByteSize.parse(s) { value = b }
        else { throw fail(key + k, "expected a whole number (or a size such as 64MiB), got \(describe(v))") }
        guard value >= min else { throw fail(key + k, "must be at least \(min), got \(value)") }
        return value
    }

    func stringList(_ d: [String: Any], _ k: String, _ key: String) throws -> [String] {
        guard let v = d[k] else { return [] }
        if let s = v as? String { return [s] }
        guard let a = v as? [Any] else { throw fail(key + k, "expected a list of strings, got \(describe(v))") }
        return try a.enumerated().map { i, e in
            guard let s = e as? String, !s.isEmpty else { throw fail("\(key)\(k)[\(i)]", "expected a non-empty string, got \(describe(e))") }
            return s
        }
    }

    mutating func manifest(baseDir: String) throws -> Manifest {
        let top = try dict(root, "", allowed: ManifestKeys.top)
        func resolve(_ p: String) -> String {
            let expanded = (p as NSString).expandingTildeInPath
            return expanded.hasPrefix("/") ? expanded : URL(fileURLWithPath: baseDir).appendingPathComponent(expanded).standardizedFileURL.path
        }
        let name = try string(top, "name", "", default: URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent)
        let output = resolve(try string(top, "output", ""))
        let policyText = try string(top, "on_error", "", default: "fail")
        guard let policy = ErrorPolicy(rawValue: policyText) else {
            throw fail("on_error", "'\(policyText)' is not a policy; use 'fail' (stop at the first bad record) or 'skip' (count it in the catalog and go on)")
        }
        let shardSize = try int(top, "shard_size", "", default: 1 << 26, min: 1024)
        guard shardSize < (1 << 32) else { throw fail("shard_size", "must be below 4 GiB (MDS offsets are 32-bit)") }
        let level = try int(top, "compression_level", "", default: 3, min: 1)
        guard level <= 22 else { throw fail("compression_level", "zstd levels are 1 to 22, got \(level)") }
        let maxDoc = try int(top, "max_document_bytes", "", default: 256 << 20, min: 1)

        let tok = try dict(top["tokenizer"], "tokenizer", allowed: ManifestKeys.tokenizer)
        var trainSpec: TokenizerSpec.TrainSpec?
        if let t = tok["train"] {
            let td = try dict(t, "tokenizer.train", allowed: ManifestKeys.train)
            var shares: [String: Double] = [:]
            if let s = td["shares"] {
                guard let sd = s as? [String: Any] else { throw fail("tokenizer.train.shares", "expected a mapping source: weight") }
                for (k, v) in sd {
                    guard let w = (v as? Double) ?? (v as? Int).map(Double.init), w > 0 else {
                        throw fail("tokenizer.train.shares.\(k)", "expected a positive number, got \(describe(v))")
                    }
                    shares[k] = w
                }
            }
            var coverage = 0.9995
            if let c = td["character_coverage"] {
                guard let v = (c as? Double) ?? (c as? Int).map(Double.init), v > 0, v <= 1 else {
                    throw fail("tokenizer.train.character_coverage", "expected a number in (0, 1], got \(describe(c))")
                }
                coverage = v
            }
            trainSpec = .init(vocabSize: try int(td, "vocab_size", "tokenizer.train.", default: 8000, min: 16),
                              sampleMegabytes: try int(td, "sample_mb", "tokenizer.train.", default: 20, min: 1),
                              characterCoverage: coverage, shares: shares,
                              userDefinedSymbols: try stringList(td, "user_defined_symbols", "tokenizer.train."))
        }
        let tokenizer = TokenizerSpec(model: resolve(try string(tok, "model", "tokenizer.")),
                                      sentinels: try int(tok, "sentinels", "tokenizer.", default: 300, min: 0),
                                      train: trainSpec)

        guard let list = top["sources"] as? [Any], !list.isEmpty else {
            throw fail("sources", "expected a non-empty list of sources")
        }
        var sources: [SourceSpec] = []
        var seen: Set<String> = []
        for (i, item) in list.enumerated() {
            let key = "sources[\(i)]"
            let d = try dict(item, key, allowed: ManifestKeys.source)
            let name = try string(d, "name", key + ".")
            if let problem = SourceNames.problem(name) { throw fail("\(key).name", problem) }
            // Folders named `Web` and `web` are one folder on case-insensitive file systems.
            guard seen.insert(name.lowercased()).inserted else {
                throw fail("\(key).name",
                           "'\(name)' is used by two sources (names differing only in case count as one)")
            }
            let formatText = try string(d, "format", key + ".")
            guard let format = SourceFormat(rawValue: formatText) else {
                throw fail("\(key).format", "'\(formatText)' is not a format; use one of: \(SourceFormat.allCases.map(\.rawValue).joined(separator: ", ")) (compression is taken from the file extension)")
            }
            let paths = try stringList(d, "paths", key + ".")
            guard !paths.isEmpty else { throw fail("\(key).paths", "missing (required): files, folders or globs") }
            var extensions: [String: String] = [:]
            if let e = d["extensions"] {
                if let m = e as? [String: Any] {
                    for (ext, lang) in m { extensions[ext.hasPrefix(".") ? ext : "." + ext] = "\(lang)" }
                } else if let l = e as? [Any] {
                    for x in l { let s = "\(x)"; extensions[s.hasPrefix(".") ? s : "." + s] = CodeLanguages.language(forExtension: s) ?? "unknown" }
                } else {
                    throw fail("\(key).extensions", "expected a list of extensions or a mapping extension: language")
                }
            }
            sources.append(SourceSpec(
                name: name, format: format, paths: paths.map(resolve),
                textField: try string(d, "text_field", key + ".", default: "text"),
                domain: try string(d, "domain", key + "."),
                language: d["language"].map { "\($0)" },
                keep: try stringList(d, "keep", key + "."),
                extensions: extensions,
                idField: d["id_field"].map { "\($0)" }))
        }
        let manifest = Manifest(path: file, name: name, output: output, tokenizer: tokenizer, onError: policy,
                                shardSizeBytes: shardSize, compressionLevel: Int32(level), maxDocumentBytes: maxDoc,
                                sources: sources)
        try manifest.checkOutputIsolation()
        return manifest
    }
}

func describe(_ v: Any) -> String {
    switch v {
    case is String: return "the string '\(v)'"
    case is Int: return "the number \(v)"
    case is [Any]: return "a list"
    case is [String: Any]: return "a mapping"
    default: return "'\(v)'"
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var prev = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var cur = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[b.count]
}
