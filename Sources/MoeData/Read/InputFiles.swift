import Foundation

/// One input file of a source, with the id base its documents are named by.
public struct InputFile: Sendable, Equatable {
    public var path: String
    /// Path relative to the deepest folder holding all of the source's entries. Document ids
    /// start with it, so ids are unique within a source and do not depend on where the corpus is mounted.
    public var relativePath: String
    public var size: Int
    public var mtime: Double
}

/// Expands a source's `paths` entries into a sorted, de-duplicated file list.
public enum InputFiles {
    /// Extensions a JSONL folder walk takes.
    static let jsonlSuffixes = [
        ".jsonl", ".json", ".jsonl.zst", ".jsonl.zstd", ".json.zst", ".jsonl.gz", ".json.gz", ".zst", ".gz",
    ]

    /// Returns the files, and for each entry that matches nothing and each path that is not a
    /// regular file (a FIFO, socket or device, a broken link), a message naming it: such paths are
    /// never opened (a FIFO or /dev/zero would block or never end), they are errors or counted skips.
    ///
    /// Document ids are paths relative to the deepest folder holding every entry of the source,
    /// so they are unique within the source (two roots cannot give the same id) and do not depend
    /// on where the corpus is mounted.
    public static func list(_ source: SourceSpec) -> (files: [InputFile], missing: [String]) {
        var byPath: [String: InputFile] = [:]
        var missing: [String] = []
        var roots: [String] = []
        let fm = FileManager.default
        for entry in source.paths {
            var isDir: ObjCBool = false
            if entry.contains("*") || entry.contains("?") || entry.contains("[") {
                let matched = expandGlob(entry)
                roots.append(globRoot(entry))
                if matched.isEmpty { missing.append("\(entry): the pattern matches no file") }
                for m in matched where accepts(m.path, source) { add(m) }
            } else if fm.fileExists(atPath: entry, isDirectory: &isDir) {
                let path = URL(fileURLWithPath: entry).standardizedFileURL.path
                if isDir.boolValue {
                    roots.append(path)
                    for m in walk(entry) where accepts(m.path, source) { add(m) }
                } else {
                    roots.append((path as NSString).deletingLastPathComponent)
                    add(Walked(path: path, problem: problem(path)))
                }
            } else if (try? fm.attributesOfItem(atPath: entry))?[.type] as? FileAttributeType == .typeSymbolicLink {
                // attributesOfItem does not follow links: the entry exists, but leads nowhere.
                missing.append("\(entry): a symbolic link that leads nowhere (a loop, or its target is missing)")
            } else {
                missing.append("\(entry): \(problem(entry) ?? "no such file or folder")")
            }
        }
        func add(_ m: Walked) {
            if let problem = m.problem {
                missing.append("\(m.path): \(problem)")
                return
            }
            guard byPath[m.path] == nil else { return }
            var st = stat()
            guard stat(m.path, &st) == 0 else { return }
            byPath[m.path] = InputFile(
                path: m.path, relativePath: "", size: Int(st.st_size),
                mtime: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
        }
        let base = commonFolder(roots)
        let files = byPath.values.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }.map { f in
            var f = f
            f.relativePath =
                f.path.hasPrefix(base + "/")
                ? String(f.path.dropFirst(base.count + 1))
                : base == "/" ? String(f.path.dropFirst()) : (f.path as NSString).lastPathComponent
            return f
        }
        return (files, missing)
    }

    /// The deepest folder holding every one of `folders`.
    static func commonFolder(_ folders: [String]) -> String {
        guard var common = folders.first?.split(separator: "/", omittingEmptySubsequences: true) else { return "/" }
        for f in folders.dropFirst() {
            let parts = f.split(separator: "/", omittingEmptySubsequences: true)
            var n = 0
            while n < min(common.count, parts.count) && common[n] == parts[n] { n += 1 }
            common = Array(common.prefix(n))
        }
        return "/" + common.joined(separator: "/")
    }

    /// Why `path` is not a file to read (following links), or nil for a regular file.
    static func problem(_ path: String) -> String? {
        var st = stat()
        if stat(path, &st) != 0 {
            var lst = stat()
            if lstat(path, &lst) == 0 && (lst.st_mode & S_IFMT) == S_IFLNK {
                return "a broken link (its target does not exist)"
            }
            return nil
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFIFO: return "a FIFO (named pipe), not a regular file"
        case S_IFSOCK: return "a socket, not a regular file"
        case S_IFCHR: return "a character device, not a regular file"
        case S_IFBLK: return "a block device, not a regular file"
        case S_IFDIR: return "a folder, not a regular file"
        default: return "not a regular file"
        }
    }

    static func accepts(_ path: String, _ source: SourceSpec) -> Bool {
        let lower = path.lowercased()
        switch source.format {
        case .jsonl:
            return jsonlSuffixes.contains { lower.hasSuffix($0) }
        case .parquet:
            return lower.hasSuffix(".parquet")
        case .text, .code:
            if source.extensions.isEmpty { return true }
            return source.extensions.keys.contains { lower.hasSuffix($0.lowercased()) }
        }
    }

    /// A path found by a walk, with the reason it cannot be read if it is not a regular file.
    struct Walked {
        var path: String
        var problem: String?
    }

    /// Files under `root`, skipping hidden entries (`.git` and the like). Links to files are
    /// taken (corpora are often folders of links to shards); links to folders are not followed,
    /// so a walk always ends. FIFOs, sockets, devices and broken links come with their problem.
    static func walk(_ root: String) -> [Walked] {
        var out: [Walked] = []
        let fm = FileManager.default
        guard
            let e = fm.enumerator(
                at: URL(fileURLWithPath: root),
                includingPropertiesForKeys: [.isDirectoryKey, .isSymbolicLinkKey],
                options: [.skipsHiddenFiles])
        else { return [] }
        for case let url as URL in e {
            let values = try? url.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey])
            if values?.isDirectory == true && values?.isSymbolicLink != true { continue }
            let p = url.standardizedFileURL.path
            let problem = problem(p)
            if values?.isSymbolicLink == true, problem == "a folder, not a regular file" { continue }
            out.append(Walked(path: p, problem: problem))
        }
        return out
    }

    /// The folder part of a glob before its first wildcard.
    static func globRoot(_ pattern: String) -> String {
        var rootParts: [Substring] = []
        for p in pattern.split(separator: "/", omittingEmptySubsequences: false) {
            if p.contains("*") || p.contains("?") || p.contains("[") { break }
            rootParts.append(p)
        }
        let root = rootParts.joined(separator: "/")
        return root.isEmpty ? "/" : URL(fileURLWithPath: root).standardizedFileURL.path
    }

    /// `*` and `?` match within one path component, `**` across components.
    static func expandGlob(_ pattern: String) -> [Walked] {
        guard let regex = try? NSRegularExpression(pattern: "^" + globToRegex(pattern) + "$") else { return [] }
        return walk(globRoot(pattern)).filter { m in
            regex.firstMatch(in: m.path, range: NSRange(m.path.startIndex..., in: m.path)) != nil
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
