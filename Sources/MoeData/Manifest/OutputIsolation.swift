import Foundation

/// The output folder is never an input: an output inside a source's folder would be ingested as
/// training text on the next run (its catalog, its own token index), and a source inside the output
/// would be deleted or rewritten by a rebuild. Both are refused when the manifest is read, so
/// every command refuses them, every run.
extension Manifest {
    func checkOutputIsolation() throws {
        let out = Manifest.canonical(output)
        guard out != "/" else {
            throw MoeDataError("\(path): output: '/' is the filesystem root; give a folder of its own")
        }
        for (i, source) in sources.enumerated() {
            for (j, entry) in source.paths.enumerated() {
                let root = Manifest.canonical(InputFiles.globRoot(entry))
                let key = "sources[\(i)].paths[\(j)]"
                if Manifest.reads(entry, root: root, output: out) {
                    throw MoeDataError(
                        "\(path): output: \(output) is inside \(key) (\(entry)) of source '\(source.name)'; "
                            + "the output would be read back as input. Put the output outside the source folders")
                }
                if Manifest.isInside(root, out) {
                    throw MoeDataError(
                        "\(path): \(key): \(entry) of source '\(source.name)' is inside the output folder "
                            + "\(output), which builds rewrite. Move the source or the output")
                }
            }
        }
    }

    /// Whether a paths entry can read files of the output folder: a folder above it, or a glob whose
    /// leading components match the output and that goes deeper (globs match files by full path, and
    /// `*` and `?` stay within one component; `**` reaches any depth).
    static func reads(_ entry: String, root: String, output: String) -> Bool {
        guard isInside(output, root) else { return false }
        let isGlob = entry.contains("*") || entry.contains("?") || entry.contains("[")
        guard isGlob, !entry.contains("**") else { return true }
        let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
        let depth = output.split(separator: "/", omittingEmptySubsequences: false).count
        guard parts.count > depth else { return false }
        let prefix = parts.prefix(depth).joined(separator: "/")
        guard let re = try? NSRegularExpression(pattern: "^" + InputFiles.globToRegex(prefix) + "$") else {
            return true
        }
        return re.firstMatch(in: output, range: NSRange(output.startIndex..., in: output)) != nil
    }

    /// Absolute, standardized, with symbolic links resolved where they exist.
    static func canonical(_ p: String) -> String {
        let url = URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath()
        let s = url.path
        return s.count > 1 && s.hasSuffix("/") ? String(s.dropLast()) : s
    }

    /// Whether `inner` is `outer` or below it.
    static func isInside(_ inner: String, _ outer: String) -> Bool {
        inner == outer || outer == "/" || inner.hasPrefix(outer + "/")
    }
}
