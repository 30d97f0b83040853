import Foundation
import Yams

/// A node of a parsed YAML file together with where it is, so every error can say
/// `file:line: key.path: what is wrong`. Manifests and mixture files are both read through it
/// (the one YAML validation helper): walked node by node rather than decoded into Codable
/// types, so that unknown keys, usually typos that would silently fall back to a default, are
/// refused by name.
struct YAMLField {
    let node: Node
    /// Key path from the top of the file (`sources[0].format`); empty at the top.
    let path: String
    let file: String

    /// The document in `text`: anchors and aliases are refused before Yams sees the text, and
    /// keys that are lists or mappings after it parsed. nil for an empty document.
    static func document(_ text: String, file: String) throws -> YAMLField? {
        try BoundedYAML.refuseAliases(text, file: file)
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw MoeDataError("\(file): invalid YAML: \(error)")
        }
        guard let root else { return nil }
        if let key = YAMLKeyCheck.firstNonScalarKey(in: root) {
            let line = key.mark.map { ":\($0.line)" } ?? ""
            throw MoeDataError("\(file)\(line): a key must be a plain name, not a list or a mapping")
        }
        return YAMLField(node: root, path: "", file: file)
    }

    // MARK: Errors

    func error(_ message: String) -> MoeDataError {
        let line = node.mark.map { ":\($0.line)" } ?? ""
        return MoeDataError("\(file)\(line): \(path.isEmpty ? "(top level)" : path): \(message)")
    }

    /// `key` of this mapping is required and absent.
    func missing(_ key: String, _ what: String = "") -> MoeDataError {
        YAMLField(node: node, path: child(key), file: file).error("missing (required)\(what)")
    }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// How an error names the value found: `the string 'x'`, `the number 5`, `a list`, `a mapping`.
    var found: String {
        switch node {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        case .scalar:
            let value = node.any
            if value is String { return "the string '\(value)'" }
            if value is Int { return "the number \(value)" }
            return "'\(value)'"
        }
    }

    // MARK: Structure

    /// The mapping's entries in file order; refuses keys outside `allowed` (when given), naming
    /// the closest allowed key when it is a likely typo.
    func mapping(allowed: [String]? = nil) throws -> [(key: String, field: YAMLField)] {
        guard case .mapping(let m) = node else { throw error("expected a mapping of keys to values") }
        return try m.map { pair in
            guard case .scalar(let k) = pair.key else {
                throw error("a key must be a plain name, not a list or a mapping")
            }
            let key = k.string
            if let allowed, !allowed.contains(key) {
                throw YAMLField(node: pair.key, path: child(key), file: file)
                    .error(Self.unknownKey(key, allowed: allowed))
            }
            return (key, YAMLField(node: pair.value, path: child(key), file: file))
        }
    }

    /// The mapping's entries by key, for readers that look keys up.
    func keyed(allowed: [String]) throws -> [String: YAMLField] {
        Dictionary(try mapping(allowed: allowed), uniquingKeysWith: { first, _ in first })
    }

    func sequence() throws -> [YAMLField] {
        guard case .sequence(let s) = node else { throw error("expected a list, got \(found)") }
        return s.enumerated().map { YAMLField(node: $1, path: "\(path)[\($0)]", file: file) }
    }

    static func unknownKey(_ key: String, allowed: [String]) -> String {
        let closest = allowed.min { editDistance($0, key) < editDistance($1, key) }
        let hint = closest.map { editDistance($0, key) <= 3 ? " (did you mean '\($0)'?)" : "" } ?? ""
        return "unknown key\(hint); allowed keys: \(allowed.sorted().joined(separator: ", "))"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
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

    // MARK: Values

    /// The value as written (quotes removed); lists and mappings are refused.
    func string() throws -> String {
        guard case .scalar(let s) = node else { throw error("expected a single value, got \(found)") }
        return s.string
    }

    /// A name, path or label: a value that is neither empty nor null.
    func nonEmptyString() throws -> String {
        let text = try string()
        guard !text.isEmpty, !(node.any is NSNull) else { throw error("expected a non-empty string, got \(found)") }
        return text
    }

    /// One string or a list of them (a lone value is a list of one).
    func stringList() throws -> [String] {
        if case .scalar = node { return [try nonEmptyString()] }
        guard case .sequence = node else { throw error("expected a list of strings, got \(found)") }
        return try sequence().map { try $0.nonEmptyString() }
    }

    /// A whole number: a YAML integer, or digits with `_` separators (quoted or not).
    func int(minimum: Int) throws -> Int {
        guard case .scalar = node, let value = try wholeNumber() else {
            throw error("expected a whole number, got \(found)")
        }
        return try atLeast(minimum, value)
    }

    /// A whole number or a byte size (`64MiB`, `20M`: `ByteSize`).
    func size(minimum: Int) throws -> Int {
        guard case .scalar = node, let value = try wholeNumber() ?? ByteSize.parse(try string()) else {
            throw error("expected a whole number (or a size such as 64MiB), got \(found)")
        }
        return try atLeast(minimum, value)
    }

    /// A finite number: a YAML number, or a decimal with `_` separators (quoted or not).
    func double() throws -> Double {
        let text = try string()
        let value = node.any
        let number =
            (value as? Double) ?? (value as? Int).map(Double.init)
            ?? Double(text.replacingOccurrences(of: "_", with: ""))
        guard let number, number.isFinite else { throw error("expected a number, got \(found)") }
        return number
    }

    /// A token count: `780000000000`, `780_000_000_000`, `780B`, `1.1T`, `128K` (decimal units).
    func tokenCount() throws -> Int {
        let text = try string()
        guard let v = TokenCount.parse(text) else {
            throw error("expected a token count such as 1100000, 1.1M, 780B or 1.1T, got '\(text)'")
        }
        return v
    }

    private func wholeNumber() throws -> Int? {
        let text = try string()
        if let value = node.any as? Int { return value }
        return Int(text.replacingOccurrences(of: "_", with: ""))
    }

    private func atLeast(_ minimum: Int, _ value: Int) throws -> Int {
        guard value >= minimum else { throw error("must be at least \(minimum), got \(value)") }
        return value
    }
}
