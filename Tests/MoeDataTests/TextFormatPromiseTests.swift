import Foundation
import MDS
import MoeTestSupport
import Testing

@testable import MoeData

/// README promises about the `text` and `code` formats and long documents, each checked through the binary.
@Suite(.serialized) struct TextFormatPromiseTests {
    /// `text`: a NUL byte or invalid UTF-8 is a counted skip (an error under `fail`, naming the file and offset);
    /// an empty file is the "empty document" skip.
    @Test func textFormatSkipsNulInvalidUTF8AndEmptyDocuments() throws {
        let dir = try TestSupport.tempDir("textfmt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = dir.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        let prose = try TestSupport.realLines(30)
        try prose[0..<10].joined(separator: "\n").write(
            to: files.appendingPathComponent("a-good.txt"),
            atomically: true, encoding: .utf8)
        try (Data("before the NUL ".utf8) + Data([0]) + Data(" after".utf8)).write(
            to: files.appendingPathComponent("b-nul.txt"))
        try
            (Data("caf".utf8)
            + Data([
                0xC3,
                0x28,
            ]) + Data(" au lait".utf8)).write(to: files.appendingPathComponent("c-utf8.txt"))
        try Data().write(to: files.appendingPathComponent("d-empty.txt"))
        try prose[10..<30].joined(separator: "\n").write(
            to: files.appendingPathComponent("e-good.txt"),
            atomically: true, encoding: .utf8)
        for policy in ["skip", "fail"] {
            let sub = dir.appendingPathComponent(policy)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let manifest = try TestSupport.manifest(
                in: sub, onError: policy,
                sources: """
                      - {name: t, format: text, paths: [\(files.path)], domain: web}
                    """)
            let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
            if policy == "fail" {
                #expect(r.status != 0)
                #expect(r.stderr.contains("b-nul.txt") && r.stderr.contains("NUL byte in a text file"), "\(r.stderr)")
                #expect(!r.stderr.contains("Fatal error"))
                continue
            }
            #expect(r.status == 0, "\(r.stderr)")
            let stats = try CatalogStats.load(
                try Catalog.openExisting(outputDirectory: sub.appendingPathComponent("out").path))
            let row = try #require(stats.sources.first)
            #expect(row.documents == 2)
            #expect(row.skipped + row.fileErrors == 3, "NUL, invalid UTF-8 and the empty file are each counted once")
            let reasons = stats.skipReasons.map { "\($0.reason) @ \($0.example)" }.joined(separator: "\n")
            #expect(reasons.contains("NUL byte in a text file") && reasons.contains("b-nul.txt"), "\(reasons)")
            #expect(reasons.contains("invalid UTF-8") && reasons.contains("c-utf8.txt"), "\(reasons)")
            #expect(reasons.contains("empty") && reasons.contains("d-empty.txt"), "\(reasons)")
            let written = try TestSupport.samples(sub.appendingPathComponent("out/tokens/t")).map {
                $0["doc_id"]?.string ?? ""
            }
            #expect(written == ["a-good.txt", "e-good.txt"])
        }
    }

    /// `code` under `fail`: a binary file stops the run with its path and the reason.
    @Test func binaryFileUnderFailStopsNamingIt() throws {
        let dir = try TestSupport.tempDir("binfail")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tree = dir.appendingPathComponent("code")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        try "def f():\n    return 1\n".write(to: tree.appendingPathComponent("a.py"), atomically: true, encoding: .utf8)
        try Data([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01]).write(to: tree.appendingPathComponent("b.py"))
        let manifest = try TestSupport.manifest(
            in: dir, onError: "fail",
            sources: """
                  - {name: c, format: code, paths: [code], domain: code, extensions: {.py: Python}}
                """)
        let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("b.py") && r.stderr.contains("binary file (NUL byte)"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/tokens/c/index.json").path))
    }

    /// The pieces `Tokenizer.encode` cuts a long text into, as the README states the rule: windows of at most
    /// 1 MiB, each ending after its last line break, else at a UTF-8 character boundary.
    static func pieces(_ bytes: [UInt8], limit: Int = 1 << 20) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            var end = min(start + limit, bytes.count)
            if end < bytes.count {
                if let nl = bytes[start..<end].lastIndex(of: 0x0A), nl > start {
                    end = nl + 1
                } else {
                    while end > start && bytes[end] & 0xC0 == 0x80 { end -= 1 }
                }
            }
            out.append(bytes[start..<end])
            start = end
        }
        return out
    }

    /// A 50 MB document with line breaks (and a 2 MB tail without any, so both cuts happen), its ids checked
    /// against `spm_encode` piece by piece. spm_encode reads one sentence per line, so each piece goes to it
    /// as one line with its line breaks as spaces: the model's nmt_nfkc normalizer maps a line break to a
    /// space and collapses runs of spaces, so the ids are the same.
    @Test func fiftyMegabyteDocumentWithLineBreaksMatchesSpmEncodePieceByPiece() throws {
        let dir = try TestSupport.tempDir("huge")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = try TestSupport.realLines(400)
        var text = ""
        text.reserveCapacity(52_200_000)
        var i = 0
        while text.utf8.count < 50_000_000 { text += lines[i % lines.count] + (i % 7 == 6 ? "\n\n" : "\n"); i += 1 }
        let paragraph = lines.joined(separator: " ") + " Grüße, naïve café — ✨ "
        while text.utf8.count < 52_100_000 { text += paragraph }
        let bytes = Array(text.utf8)
        try ("{\"text\": " + TestSupport.jsonString(text) + "}\n").write(
            to: dir.appendingPathComponent("huge.jsonl"),
            atomically: true, encoding: .utf8)
        let manifest = try TestSupport.manifest(
            in: dir, onError: "fail", shardSize: "512MiB",
            sources: """
                  - {name: s, format: jsonl, paths: [huge.jsonl], domain: web}
                """)
        let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let samples = try TestSupport.samples(dir.appendingPathComponent("out/tokens/s"))
        #expect(samples.count == 1)
        let ids = try #require(samples.first?["tokens"]?.uint32s)

        let pieces = Self.pieces(bytes)
        #expect(pieces.count > 50)
        #expect(pieces.dropLast().contains { $0.last != 0x0A }, "the no-line-break tail must force a cut inside a line")
        var input = Data()
        for piece in pieces { input.append(contentsOf: piece.map { $0 == 0x0A ? 0x20 : $0 }); input.append(0x0A) }
        let inputURL = dir.appendingPathComponent("pieces.txt")
        try input.write(to: inputURL)
        let spm = try TestSupport.run(
            TestSupport.which("spm_encode"),
            [
                "--model=\(TestSupport.model)", "--output_format=id",
                "--input=\(inputURL.path)",
            ])
        #expect(spm.status == 0, "\(spm.stderr)")
        let perPiece = spm.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(perPiece.count == pieces.count)
        let expected = perPiece.flatMap { $0.split(separator: " ").compactMap { UInt32($0) } }
        #expect(ids.count == expected.count)
        #expect(ids == expected, "ids differ from spm_encode's, piece by piece")
    }
}
