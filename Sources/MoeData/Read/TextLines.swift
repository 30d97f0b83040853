/// Lines of a file (plain, `.zst` or `.gz`) or of standard input, as Swift strings (invalid
/// UTF-8 becomes U+FFFD), without their `\n`; a `\r` stays, as with `spm_encode`.
/// Built on the ingest's streaming readers, so memory is bounded by the longest line.
public struct TextLines {
    var lines: LineReader
    let name: String

    public init(path: String, maxLineBytes: Int = 1 << 30) throws {
        lines = LineReader(source: try openByteSource(path: path), maxLineBytes: maxLineBytes)
        lines.stripsCarriageReturn = false
        name = path
    }

    public static func standardInput() throws -> TextLines { try TextLines(path: "/dev/stdin") }

    public mutating func next() throws -> String? {
        guard let line = try lines.next() else { return nil }
        switch line {
        case .text(let range, _, _):
            return lines.withBytes(range) { String(decoding: $0, as: UTF8.self) }
        case .tooLong(let number, _, let length):
            throw MoeDataError("\(name):\(number): line of \(length) bytes is too long")
        }
    }
}
