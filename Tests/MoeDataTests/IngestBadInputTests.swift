import Foundation
import MDS
import Testing

@testable import MoeData

/// One test per bad input: under `fail` the run exits non-zero naming the file, the line or
/// offset, and the reason; under `skip` it is counted and recorded in the catalog, and
/// documents read = documents written + documents skipped.
@Suite(.serialized) struct IngestBadInputTests {
    struct Case: Sendable {
        var name: String
        /// Writes the bad input into the folder; returns the path the manifest names.
        var make: @Sendable (URL) throws -> String
        /// Text the `fail` error must contain (file name, line or offset, reason).
        var failMentions: [String]
        /// Expected skipped-record count and file-error count under `skip`.
        var skippedRecords: Int
        var fileErrors: Int
        var goodDocuments: Int
        var extraManifest: String = ""
    }

    static func goodLines(_ n: Int) throws -> [String] {
        try TestSupport.realLines(n).map { "{\"text\": \(TestSupport.jsonString($0))}" }
    }

    static func write(_ lines: [String], _ url: URL) throws {
        try lines.joined(separator: "\n").appending("\n").write(to: url, atomically: true, encoding: .utf8)
    }

    /// Real zstd/gzip output: two members (frames) made by the tool and concatenated, cut short
    /// inside the second, so the records of the first are readable before the fault.
    static func truncated(_ tool: String, _ ext: String, _ dir: URL) throws -> String {
        let packedParts = try compressedHalves(tool, ext, dir)
        let cut = packedParts[0] + packedParts[1].prefix(packedParts[1].count / 2)
        let path = dir.appendingPathComponent("t.jsonl.\(ext)")
        try cut.write(to: path)
        return path.path
    }

    /// 1,200 good records as two members (frames) compressed apart by the real tool, 600 each.
    static func compressedHalves(_ tool: String, _ ext: String, _ dir: URL) throws -> [Data] {
        let lines = try goodLines(1200)
        var packedParts: [Data] = []
        for (i, part) in [Array(lines[..<600]), Array(lines[600...])].enumerated() {
            let plain = dir.appendingPathComponent("part\(i).jsonl")
            try write(part, plain)
            let r = try TestSupport.run(
                TestSupport.which(tool), tool == "zstd" ? ["-q", "--rm", plain.path] : [plain.path])
            guard r.status == 0 else { throw MoeDataError("\(tool) failed: \(r.stderr)") }
            let packed = dir.appendingPathComponent("part\(i).jsonl.\(ext)")
            packedParts.append(try Data(contentsOf: packed))
            try FileManager.default.removeItem(at: packed)
        }
        return packedParts
    }

    /// A full-length file whose second zstd frame / gzip member is corrupt (its magic number overwritten),
    /// not cut short: the first one's 600 records are kept, the fault is a file-level error.
    static func corrupt(_ tool: String, _ ext: String, _ dir: URL) throws -> String {
        let parts = try compressedHalves(tool, ext, dir)
        var second = parts[1]
        for i in 0..<4 { second[second.startIndex + i] ^= 0x5A }
        let path = dir.appendingPathComponent("c.jsonl.\(ext)")
        try (parts[0] + second).write(to: path)
        return path.path
    }

    static let cases: [Case] = [
        Case(
            name: "non-string text field",
            make: { dir in
                var lines = try goodLines(20)
                lines[4] = "{\"text\": 42}"
                lines[9] = "{\"text\": [\"a\", \"b\"]}"
                try write(lines, dir.appendingPathComponent("number.jsonl"))
                return "number.jsonl"
            }, failMentions: ["number.jsonl:5", "field 'text' is not a string"], skippedRecords: 2, fileErrors: 0,
            goodDocuments: 18),
        Case(
            name: "corrupt zstd", make: { dir in try corrupt("zstd", "zst", dir) },
            failMentions: ["c.jsonl.zst", "corrupt zstd data"], skippedRecords: 0, fileErrors: 1, goodDocuments: 600),
        Case(
            name: "corrupt gzip", make: { dir in try corrupt("gzip", "gz", dir) },
            failMentions: ["c.jsonl.gz", "corrupt gzip data"], skippedRecords: 0, fileErrors: 1, goodDocuments: 600),
        Case(
            name: "empty documents",
            make: { dir in
                var lines = try goodLines(10)
                lines[2] = "{\"text\": \"\"}"
                lines[5] = "{\"text\": \"   \"}"
                try write(lines, dir.appendingPathComponent("empty-docs.jsonl"))
                return "empty-docs.jsonl"
            }, failMentions: ["empty-docs.jsonl:3", "empty document"], skippedRecords: 2, fileErrors: 0,
            goodDocuments: 8),
        Case(
            name: "invalid JSON line",
            make: { dir in
                var lines = try goodLines(20)
                lines[6] = "{\"text\": \"unterminated"
                try write(lines, dir.appendingPathComponent("bad.jsonl"))
                return "bad.jsonl"
            }, failMentions: ["bad.jsonl:7", "invalid JSON"], skippedRecords: 1, fileErrors: 0, goodDocuments: 19),
        Case(
            name: "line without the text field",
            make: { dir in
                var lines = try goodLines(20)
                lines[3] = "{\"content\": \"this source reads text, not content\"}"
                try write(lines, dir.appendingPathComponent("nofield.jsonl"))
                return "nofield.jsonl"
            }, failMentions: ["nofield.jsonl:4", "no 'text' field"], skippedRecords: 1, fileErrors: 0, goodDocuments: 19
        ),
        Case(
            name: "invalid UTF-8",
            make: { dir in
                var data = Data(try goodLines(10).joined(separator: "\n").utf8)
                data.append(Data("\n{\"text\": \"caf".utf8) + Data([0xC3, 0x28]) + Data("\"}\n".utf8))
                data.append(Data(try goodLines(3).joined(separator: "\n").utf8))
                try data.write(to: dir.appendingPathComponent("utf8.jsonl"))
                return "utf8.jsonl"
            }, failMentions: ["utf8.jsonl:11", "invalid UTF-8"], skippedRecords: 1, fileErrors: 0, goodDocuments: 13),
        Case(
            name: "truncated zstd", make: { dir in try truncated("zstd", "zst", dir) },
            failMentions: ["t.jsonl.zst", "truncated zstd"], skippedRecords: 0, fileErrors: 1, goodDocuments: -1),
        Case(
            name: "truncated gzip", make: { dir in try truncated("gzip", "gz", dir) },
            failMentions: ["t.jsonl.gz", "truncated gzip"], skippedRecords: 0, fileErrors: 1, goodDocuments: -1),
        Case(
            name: "empty file",
            make: { dir in
                try Data().write(to: dir.appendingPathComponent("empty.jsonl"))
                return "empty.jsonl"
            }, failMentions: ["empty.jsonl", "empty file"], skippedRecords: 0, fileErrors: 1, goodDocuments: 0),
        Case(
            name: "missing path", make: { _ in "does/not/exist.jsonl" },
            failMentions: ["does/not/exist.jsonl", "no such file"], skippedRecords: 0, fileErrors: 1, goodDocuments: 0),
        Case(
            name: "single-line document over max_document_bytes",
            make: { dir in
                var lines = try goodLines(5)
                lines.insert("{\"text\": \"" + String(repeating: "word ", count: 500_000) + "\"}", at: 2)
                try write(lines, dir.appendingPathComponent("long.jsonl"))
                return "long.jsonl"
            }, failMentions: ["long.jsonl:3", "exceeds max_document_bytes"], skippedRecords: 1, fileErrors: 0,
            goodDocuments: 5,
            extraManifest: "max_document_bytes: 1MiB"),
    ]

    @Test(arguments: cases.indices)
    func badInputFailsWithLocationOrIsCountedUnderSkip(_ index: Int) throws {
        let c = IngestBadInputTests.cases[index]
        let dir = try TestSupport.tempDir("bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = try c.make(dir)
        try IngestBadInputTests.write(try IngestBadInputTests.goodLines(7), dir.appendingPathComponent("good.jsonl"))
        for policy in ["fail", "skip"] {
            let sub = dir.appendingPathComponent(policy)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let badPath = bad.hasPrefix("/") ? bad : dir.appendingPathComponent(bad).path
            let manifest = try TestSupport.manifest(
                in: sub, onError: policy, extra: c.extraManifest,
                sources: """
                      - {name: s, format: jsonl, paths: [\(dir.appendingPathComponent("good.jsonl").path), \
                      \(badPath)], domain: web}
                    """)
            let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
            if policy == "fail" {
                #expect(r.status != 0, "\(c.name): fail policy must exit non-zero")
                for m in c.failMentions { #expect(r.stderr.contains(m), "\(c.name): stderr lacks '\(m)': \(r.stderr)") }
                #expect(!r.stderr.contains("Fatal error"), "\(c.name): crashed: \(r.stderr)")
            } else {
                #expect(r.status == 0, "\(c.name): \(r.stderr)")
                let stats = try CatalogStats.load(
                    try Catalog.openExisting(outputDirectory: sub.appendingPathComponent("out").path))
                let row = try #require(stats.sources.first)
                #expect(row.skipped == c.skippedRecords, "\(c.name)")
                #expect(row.fileErrors == c.fileErrors, "\(c.name)")
                let written = try TestSupport.samples(sub.appendingPathComponent("out/tokens/s")).count
                #expect(written == row.documents)
                if c.goodDocuments >= 0 {
                    #expect(row.documents == 7 + c.goodDocuments, "\(c.name)")
                } else {
                    #expect(row.documents >= 7 + 600, "\(c.name): records before the truncation are kept")
                }
                let reasons = stats.skipReasons.map(\.reason).joined(separator: "|")
                #expect(c.failMentions.dropFirst().allSatisfy { reasons.contains($0) }, "\(c.name): \(reasons)")
            }
        }
    }

    @Test func manifestErrorsNameFileAndKey() throws {
        let dir = try TestSupport.tempDir("manifest")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, String)] = [
            (
                "name: x\noutput: o\ntokenizer: {model: m.model}\nsources:\n  - {name: a, format: jsonl, paths: "
                    + "[x], domain: web, txt_field: t}\n",
                "sources[0].txt_field: unknown key (did you mean 'text_field'?)"
            ),
            (
                "name: x\noutput: o\ntokenizer: {model: m.model}\nsources:\n  - {name: a, format: orc, paths: "
                    + "[x], domain: web}\n",
                "sources[0].format: 'orc' is not a format"
            ),
            (
                "name: x\noutput: o\non_error: ignore\ntokenizer: {model: m.model}\nsources:\n  - {name: a, "
                    + "format: jsonl, paths: [x], domain: web}\n",
                "on_error: 'ignore' is not a policy"
            ),
            ("name: x\noutput: o\ntokenizer: {model: m.model}\nsources: []\n", "sources: expected a non-empty list"),
            (
                "name: x\noutput: o\ntokenizer: {model: m.model}\nsources:\n  - {name: a, format: jsonl, domain: "
                    + "web}\n",
                "sources[0].paths: missing (required)"
            ),
            (
                "name: x\ntokenizer: {model: m.model}\nsources:\n  - {name: a, format: jsonl, paths: [x], domain: "
                    + "web}\n",
                "output: missing"
            ),
        ]
        for (yaml, message) in cases {
            let path = dir.appendingPathComponent("m.yaml").path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: MoeDataError.self) { try Manifest.load(path: path) }
            do { _ = try Manifest.load(path: path) } catch {
                #expect("\(error)".contains(path) && "\(error)".contains(message), "\(error)")
            }
        }
    }
}
