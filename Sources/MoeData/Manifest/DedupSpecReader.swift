import Foundation

/// Reads the manifest's `dedup:` section (`DedupSpec`); every key is checked like the rest.
extension ManifestReader {
    static let dedupKeys = ["scope", "keep", "exact", "near", "decontaminate", "buffer"]
    static let exactKeys = ["normalization"]
    static let nearKeys = ["shingles", "ngram", "permutations", "bands", "threshold", "seed"]
    static let decontaminateKeys = ["paths", "text_field", "ngram", "action"]

    func dedup(_ field: YAMLField, sources: [SourceSpec]) throws -> DedupSpec {
        let keys = try field.keyed(allowed: Self.dedupKeys)
        var spec = DedupSpec()
        if let scope = keys["scope"] { spec.scope = try choice(scope, DedupSpec.Scope.self, "a scope") }
        if let keep = keys["keep"] {
            spec.keep = try keep.stringList()
            let names = Set(sources.map(\.name))
            if let unknown = spec.keep.first(where: { !names.contains($0) }) {
                throw keep.error("'\(unknown)' is not a source of this manifest")
            }
        }
        if let exact = keys["exact"] { spec.exact = try self.exact(exact) }
        if let near = keys["near"] { spec.near = try self.near(near) }
        if let decontaminate = keys["decontaminate"] { spec.decontaminate = try self.decontaminate(decontaminate) }
        if let buffer = keys["buffer"] { spec.bufferBytes = try buffer.size(minimum: 1 << 16) }
        guard spec.exact != nil || spec.near != nil || spec.decontaminate != nil else {
            throw field.error("names nothing to do; add exact, near or decontaminate")
        }
        return spec
    }

    /// `exact: fineweb` or `exact: {normalization: fineweb}` (default whitespace).
    func exact(_ field: YAMLField) throws -> TextNormalization {
        if case .scalar = field.node { return try choice(field, TextNormalization.self, "a normalization") }
        let keys = try field.keyed(allowed: Self.exactKeys)
        guard let normalization = keys["normalization"] else { return .whitespace }
        return try choice(normalization, TextNormalization.self, "a normalization")
    }

    func near(_ field: YAMLField) throws -> DedupSpec.Near {
        let keys = try field.keyed(allowed: Self.nearKeys)
        var near = DedupSpec.Near(
            shingles: try keys["shingles"].map { try choice($0, DedupSpec.Shingles.self, "a shingle kind") } ?? .words)
        if let ngram = keys["ngram"] { near.ngram = try ngram.int(minimum: 1) }
        if let permutations = keys["permutations"] { near.permutations = try permutations.int(minimum: 1) }
        if let bands = keys["bands"] {
            near.bands = try bands.int(minimum: 1)
            guard near.bands <= 255 else { throw bands.error("at most 255 bands (FineWeb: 14), got \(near.bands)") }
        }
        guard near.permutations % near.bands == 0 else {
            throw (keys["bands"] ?? keys["permutations"] ?? field).error(
                "\(near.bands) bands do not divide \(near.permutations) permutations; each band needs the same "
                    + "number of rows (FineWeb: 14 bands of 8 = 112)")
        }
        if let threshold = keys["threshold"] {
            let value = try threshold.double()
            guard value > 0 && value < 1 else {
                throw threshold.error("expected a Jaccard similarity between 0 and 1 (exclusive), got \(value)")
            }
            near.threshold = value
        }
        if let seed = keys["seed"] { near.seed = UInt64(try seed.int(minimum: 0)) }
        return near
    }

    func decontaminate(_ field: YAMLField) throws -> DedupSpec.Decontamination {
        let keys = try field.keyed(allowed: Self.decontaminateKeys)
        guard let pathsField = keys["paths"] else { throw field.missing("paths", ": evaluation files") }
        let paths = try pathsField.stringList().map(resolve)
        guard !paths.isEmpty else { throw pathsField.error("expected at least one evaluation file") }
        var isFolder: ObjCBool = false
        for path in paths {
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
                throw pathsField.error("evaluation file \(path) does not exist (or is not a file)")
            }
        }
        var spec = DedupSpec.Decontamination(paths: paths)
        if let textField = keys["text_field"] { spec.textField = try textField.nonEmptyString() }
        if let ngram = keys["ngram"] { spec.ngram = try ngram.int(minimum: 1) }
        if let action = keys["action"] {
            spec.action = try choice(action, DedupSpec.ContaminationAction.self, "an action")
        }
        return spec
    }

    /// One of an enumeration's names, or an error listing them.
    func choice<T: RawRepresentable & CaseIterable>(_ field: YAMLField, _ type: T.Type, _ what: String) throws -> T
    where T.RawValue == String {
        let text = try field.nonEmptyString()
        guard let value = T(rawValue: text) else {
            throw field.error(
                "'\(text)' is not \(what); use one of: " + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return value
    }
}
