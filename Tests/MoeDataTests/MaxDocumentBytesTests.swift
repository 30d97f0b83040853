import Foundation
import Testing

@testable import MoeData

/// `max_document_bytes` holds for every record of every format: JSONL lines shorter than the read
/// buffer, the last line, compressed JSONL, and decompressed text and code files (issue 25.3).
@Suite(.serialized) struct MaxDocumentBytesTests {
    static let buffer = 1 << 20  // LineReader's default read size

    /// Limits around the read buffer, and the small ones the issue tried.
    static let limits = [1, 1000, buffer - 1, buffer, buffer + 1]

    /// Kept (true) or skipped for max_document_bytes (false), per record, in file order.
    static func outcomes(_ source: SourceSpec, limit: Int) throws -> [Bool] {
        var out: [Bool] = []
        for (i, file) in InputFiles.list(source).files.enumerated() {
            var reader = try makeRecordReader(file: file, fileIndex: i, source: source, maxDocumentBytes: limit)
            while let event = try reader.next() {
                switch event {
                case .document: out.append(true)
                case .skip(let s):
                    #expect(s.reason.contains("max_document_bytes"), "\(s.reason)")
                    out.append(false)
                }
            }
        }
        return out
    }

    static func source(_ name: String, _ format: SourceFormat, _ paths: [String]) -> SourceSpec {
        SourceSpec(
            name: name, format: format, paths: paths, textField: "text", domain: "web", language: nil, keep: [],
            extensions: [:], idField: nil)
    }

    /// A JSONL line of exactly `length` bytes (at least 12: `{"text": ""}`).
    static func line(_ length: Int) -> String {
        "{\"text\": \"" + String(repeating: "a", count: max(0, length - 12)) + "\"}"
    }

    @Test func everyJSONLLineIsMeasuredInEveryCompression() throws {
        let dir = try TestSupport.tempDir("maxdoc")
        defer { try? FileManager.default.removeItem(at: dir) }
        for limit in Self.limits {
            // Around the limit, then a longer line last, without a newline (the silent case).
            let lengths = [limit - 1, limit, limit + 1, 2000, limit, limit + 1].map { max(12, $0) }
            let text = lengths.map(Self.line).joined(separator: "\n")
            let expected = lengths.map { $0 <= limit }
            for kind in ["plain", "zst", "gz"] {
                let sub = dir.appendingPathComponent("\(kind)-\(limit)")
                try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
                let path = sub.appendingPathComponent("a.jsonl")
                try text.write(to: path, atomically: true, encoding: .utf8)
                if kind == "zst" {
                    #expect(try TestSupport.run(TestSupport.which("zstd"), ["-q", "--rm", path.path]).status == 0)
                }
                if kind == "gz" { #expect(try TestSupport.run(TestSupport.which("gzip"), [path.path]).status == 0) }
                let got = try Self.outcomes(Self.source(kind, .jsonl, [sub.path]), limit: limit)
                #expect(
                    got == expected,
                    "\(kind) jsonl, limit \(limit): kept \(got), expected \(expected) for lengths \(lengths)")
            }
        }
    }

    @Test func textAndCodeFilesAreMeasuredAfterDecompression() throws {
        let dir = try TestSupport.tempDir("maxdoctext")
        defer { try? FileManager.default.removeItem(at: dir) }
        for limit in Self.limits {
            for format in [SourceFormat.text, .code] {
                let sub = dir.appendingPathComponent("\(format.rawValue)-\(limit)")
                try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
                let ext = format == .code ? "py" : "txt"
                // Files of limit-1, limit and limit+1 bytes, then a gzip file far smaller than the
                // limit that decompresses to more than it.
                let sizes = [limit - 1, limit, limit + 1].filter { $0 > 0 }
                for (i, size) in sizes.enumerated() {
                    let file = sub.appendingPathComponent("f\(i).\(ext)")
                    try Data(repeating: UInt8(ascii: "a"), count: size).write(to: file)
                }
                let bomb = sub.appendingPathComponent("z.\(ext)")
                try Data(repeating: UInt8(ascii: "b"), count: limit + 1).write(to: bomb)
                #expect(try TestSupport.run(TestSupport.which("gzip"), [bomb.path]).status == 0)
                var spec = Self.source(format.rawValue, format, [sub.path])
                if format == .code { spec.extensions = [".py": "Python", ".gz": "Python"] }
                let got = try Self.outcomes(spec, limit: limit)
                let expected = sizes.map { $0 <= limit } + [false]
                #expect(got == expected, "\(format) limit \(limit): kept \(got), expected \(expected)")
            }
        }
    }
}
