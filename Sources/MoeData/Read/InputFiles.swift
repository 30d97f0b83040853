import Foundation

/// One input file of a source, with the id base its documents are named by.
public struct InputFile: Sendable, Equatable {
    public var path: String
    /// Path relative to the manifest entry it came from (a folder or glob root); the file name
    /// for a plain file entry. Document ids start with it, so ids do not depend on where the
    /// corpus is mounted.
    public var relativePath: String
    public var size: Int
    public var mtime: Double
}

/// Expands a source's `paths` entries into a sorted, de-duplicated file list.
public enum InputFiles {
    /// Extensions a JSONL folder walk takes.
    static let jsonlSuffixes = [".jsonl", ".json", ".jsonl.zst", ".jsonl.zstd", ".json.zst", ".jsonl.gz", ".json.gz", ".zst", ".gz"]

    /// Returns the files, and for each entry that matches nothing, a message naming it.
    public static func list(_ source: SourceSpec) -> (files: [InputFile], missing: [String]) {
        var byPath: [String: InputFile] = [:]
        var missing: [String] = []
        let fm = FileManager.default
        for entry in source.paths {
            var isDir: ObjCBool = false
            if entry.contains("*") || entry.contains("?") || entry.contains("[") {
                let matched = expandGlob(entry)
                if matched.isEmpty { missing.append("\(entry): the pattern matches no file") }
                for (path, rel) in matched where accepts(path, source) { add(path, rel) }
            } else if fm.fileExists(atPath: entry, isDirectory: &isDir) {
                if isDir.boolValue {
                    for (path, rel) in walk(entry) where accepts(path, source) { add(path, rel) }
                } else {
                    add(entry, (entry as NSString).lastPathComponent)
                }
            } else if (try? fm.attributesOfItem(atPath: entry))?[.type] as? FileAttributeType == .typeSymbolicLink {
                // attributesOfItem does not follow links: the entry exists, but leads nowhere.
                missing.append("\(entry): a symbolic link that leads nowhere (a loop, or its target is missing)")
            } else {
                missing.append("\(entry): no such file or folder")
            }
        }
        func add(_ path: String, _ rel: String) {
            guard byPath[path] == nil, let attrs = try? fm.attributesOfItem(atPath: path) else { return }
            let size = (attrs[.size] as? NSNumber)?.intValue ?? 0
            let mtime = (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            byPath[path] = InputFile(path: path, relativePath: rel, size: size, mtime: mtime)
        }
        let files = byPath.values.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return (files, missing)
    }

    static func accepts(_ path: String, _ source: SourceSpec) -> Bool {
        let lower = path.lowercased()
        switch source.format {
        case .jsonl:
            return jsonlSuffixes.contains { lower.hasSuffix($0) }
        case .text, .code:
            if source.extensions.isEmpty { return true }
            return source.extensions.keys.contains { lower.hasSuffix($0.lowercased()) }
        }
    }

    /// Regular files under `root`, skipping hidden entries (`.git` and the like), with paths
    /// relative to `root`. Links to files are taken (corpora are often folders of links to
    /// shards); links to folders are not followed, so a walk always ends.
    static func walk(_ root: String) -> [(String, String)] {
        var out: [(String, String)] = []
        let fm = FileManager.default
        guard let e = fm.enumerator(at: URL(fileURLWithPath: root), includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey],
                                    options: [.skipsHiddenFiles]) else { return [] }
        let rootPath = URL(fileURLWithPath: root).standardizedFileURL.path
        for case let url as URL in e {
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            if values?.isSymbolicLink == true {
                var isDir: ObjCBool = false
                guard fm.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue else { continue }
            } else if values?.isRegularFile != true {
                continue
            }
            let p = url.standardizedFileURL.path
            let rel = p.hasPrefix(rootPath + "/") ? String(p.dropFirst(rootPath.count + 1)) : url.lastPathComponent
            out.append((p, rel))
        }
        return out
    }

    /// `*` and `?` match within one path component, `**` across components.
    static func expandGlob(_ pattern: String) -> [(String, String)] {
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: false)
        var rootParts: [Substring] = []
        for p in parts {
            if p.contains("*") || p.contains("?") || p.contains("[") { break }
            rootParts.append(p)
        }
        let root = rootParts.joined(separator: "/").isEmpty ? "/" : rootParts.joined(separator: "/")
        guard let regex = try? NSRegularExpression(pattern: "^" + globToRegex(pattern) + "$") else { return [] }
        return walk(root).filter { path, _ in
            regex.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil
        }
    }

    static func globToRegex(_ glob: String) -> String {
        var out = ""
        var chars = Array(glob)[...]
        while let c = chars.popFirst() {
            switch c {
            case "*":
                if chars.first == "*" {
                    chars.removeFirst()
                    if chars.first == "/" { chars.removeFirst(); out += "(?:.*/)?" } else { out += ".*" }
                } else {
                    out += "[^/]*"
                }
            case "?": out += "[^/]"
            case "[": out += "["
            case "]": out += "]"
            default: out += NSRegularExpression.escapedPattern(for: String(c))
            }
        }
        return out
    }
}
