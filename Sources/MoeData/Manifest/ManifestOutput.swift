import Foundation

extension Manifest {
    /// The manifest writing to `directory` instead of its `output` (`--output`), so writing
    /// elsewhere never means editing a copy of the manifest. A tokenizer model the manifest keeps
    /// inside its output folder moves along (it is made there on first use); one outside stays.
    public func withOutput(_ directory: String) -> Manifest {
        let newOutput = URL(fileURLWithPath: (directory as NSString).expandingTildeInPath).standardizedFileURL.path
        var m = self
        let oldPrefix = URL(fileURLWithPath: output).standardizedFileURL.path
        let model = URL(fileURLWithPath: tokenizer.model).standardizedFileURL.path
        if model.hasPrefix(oldPrefix.hasSuffix("/") ? oldPrefix : oldPrefix + "/") {
            m.tokenizer.model = newOutput + model.dropFirst(oldPrefix.count)
        }
        m.output = newOutput
        return m
    }

    /// Loads a manifest and applies `--output` when given.
    public static func load(path: String, output: String?) throws -> Manifest {
        let m = try load(path: path)
        return output.map { m.withOutput($0) } ?? m
    }
}

/// Source names become folder names (`tokens/<name>/`): they must stay inside that folder on
/// every file system, including case-insensitive ones.
enum SourceNames {
    static let maxLength = 100

    /// Why `name` cannot name a source, or nil when it can.
    static func problem(_ name: String) -> String? {
        if name.isEmpty { return "a source name cannot be empty" }
        if name == "." || name == ".." { return "'\(name)' would resolve outside tokens/ (it names a folder)" }
        if name.hasPrefix(".") { return "'\(name)' starts with '.', which would make a hidden folder" }
        if name.utf8.count > maxLength { return "'\(name.prefix(20))...' is longer than \(maxLength) characters" }
        if name.range(of: "^[A-Za-z0-9_.-]+$", options: .regularExpression) == nil {
            return "'\(name)' may only use letters, digits, '_', '-' and '.' (it names an output folder)"
        }
        return nil
    }
}
