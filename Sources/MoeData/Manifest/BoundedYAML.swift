import Foundation

/// The one way manifests and mixture files are read: a regular file (never a FIFO or device,
/// which would block or never end), at most `maxBytes`, UTF-8, and without YAML anchors or
/// aliases. Aliases let a few lines expand into billions of nodes (an "alias bomb"), and neither
/// file needs them, so they are refused with file:line before the YAML parser sees the text.
public enum BoundedYAML {
    public static let maxBytes = 16 << 20

    /// Reads `path` as `what` ("manifest", "mixture file"); the parsers then refuse anchors and aliases.
    public static func read(_ path: String, what: String) throws -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { throw MoeDataError("\(path): cannot read the \(what) (no such file)") }
        if let problem = InputFiles.problem(path) {
            throw MoeDataError("\(path): cannot read the \(what): it is \(problem)")
        }
        guard Int(st.st_size) <= maxBytes else {
            throw MoeDataError(
                "\(path): the \(what) is \(st.st_size) bytes, more than the limit of \(maxBytes) (16 MiB)")
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= maxBytes else {
            throw MoeDataError("\(path): cannot read the \(what) (not readable, or it grew past \(maxBytes) bytes)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MoeDataError("\(path): the \(what) is not UTF-8 text")
        }
        return text
    }

    /// Throws at the first anchor (`&name`) or alias (`*name`) outside quotes, comments and block scalars.
    public static func refuseAliases(_ text: String, file: String) throws {
        if let (line, mark) = firstAnchorOrAlias(text) {
            throw MoeDataError(
                """
                \(file):\(line): YAML \(mark == UInt8(ascii: "&") ? "anchors (&name)" : "aliases (*name)") are not \
                accepted (they can expand without bound); write the values out, and quote a value that starts with \
                '\(Character(UnicodeScalar(mark)))'
                """)
        }
    }

    static func firstAnchorOrAlias(_ text: String) -> (line: Int, mark: UInt8)? {
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
        let nodeStarters: Set<UInt8> = Set("-:[{,?".utf8)
        var quote: UInt8?
        var blockIndent: Int?
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = Array(rawLine.utf8)
            let indent = line.prefix { $0 == space }.count
            if let b = blockIndent {
                if indent > b || line.allSatisfy({ $0 == space || $0 == tab || $0 == 13 }) { continue }
                blockIndent = nil
            }
            // The last significant character before i: nil at the start of the line.
            var last: UInt8?
            var i = 0
            while i < line.count {
                let c = line[i]
                if let q = quote {
                    if q == UInt8(ascii: "\"") && c == UInt8(ascii: "\\") { i += 2; continue }
                    if c == q {
                        if q == UInt8(ascii: "'") && i + 1 < line.count && line[i + 1] == q { i += 2; continue }
                        quote = nil
                        last = c
                    }
                    i += 1
                    continue
                }
                let afterSpace = i == 0 || line[i - 1] == space || line[i - 1] == tab
                if c == UInt8(ascii: "#") && afterSpace { break }
                if c == space || c == tab || c == 13 { i += 1; continue }
                let atNodeStart =
                    last == nil
                    || (nodeStarters.contains(last ?? 0)
                        && (afterSpace || "[{,".utf8.contains(line[i - 1])))
                if atNodeStart {
                    if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                        quote = c
                    } else if c == UInt8(ascii: "&") || c == UInt8(ascii: "*"),
                        i + 1 < line.count, !" \t\r,[]{}".utf8.contains(line[i + 1])
                    {
                        return (n + 1, c)
                    } else if c == UInt8(ascii: "|") || c == UInt8(ascii: ">") {
                        let rest = line[(i + 1)...].prefix { $0 != UInt8(ascii: "#") }
                        if rest.allSatisfy({ "+-0123456789 \t\r".utf8.contains($0) }) { blockIndent = indent; break }
                    }
                }
                last = c
                i += 1
            }
        }
        return nil
    }

    /// A list for an error message, cut after `limit` items.
    public static func cappedList(_ items: [String], limit: Int = 12) -> String {
        if items.count <= limit { return items.joined(separator: ", ") }
        return items.prefix(limit).joined(separator: ", ") + ", … (\(items.count - limit) more)"
    }
}
