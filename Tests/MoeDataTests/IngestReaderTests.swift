import Foundation
import JSON
import Testing

@testable import MoeData

/// Each reader on real files written by the real `zstd` and `gzip` tools, ids against the real
/// `spm_encode`, and shards read back with every hash checked.
@Suite(.serialized) struct IngestReaderTests {
    @Test func jsonlPlainZstdAndGzipGiveSpmEncodeIds() throws {
        let dir = try TestSupport.tempDir("readers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines =
            try TestSupport.realLines(300) + [
                "Ünïcödé, 日本語のテキスト, emoji 🙂🚀 and Ελληνικά — outside a 1000-piece vocabulary"
            ]
        let jsonl =
            lines.enumerated().map { i, l in
                "{\"id\": \(i), \"text\": \(TestSupport.jsonString(l)), \"meta\": {\"k\": \(i)}}"
            }.joined(separator: "\n") + "\n"
        for name in ["plain", "zst", "gz"] {
            try FileManager.default.createDirectory(
                at: dir.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        try jsonl.write(to: dir.appendingPathComponent("plain/a.jsonl"), atomically: true, encoding: .utf8)
        try jsonl.write(to: dir.appendingPathComponent("zst/a.jsonl"), atomically: true, encoding: .utf8)
        try jsonl.write(to: dir.appendingPathComponent("gz/a.jsonl"), atomically: true, encoding: .utf8)
        #expect(
            try TestSupport.run(
                TestSupport.which("zstd"), ["-q", "--rm", "-19", dir.appendingPathComponent("zst/a.jsonl").path]
            ).status == 0)
        #expect(
            try TestSupport.run(TestSupport.which("gzip"), [dir.appendingPathComponent("gz/a.jsonl").path]).status == 0)
        let manifest = try TestSupport.manifest(
            in: dir,
            sources: """
                  - {name: plain, format: jsonl, paths: [plain], domain: web, keep: [meta]}
                  - {name: zst, format: jsonl, paths: [zst], domain: web}
                  - {name: gz, format: jsonl, paths: [gz/a.jsonl.gz], domain: web}
                """)
        let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")

        // spm_encode, one line a document.
        let input = dir.appendingPathComponent("lines.txt")
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let spm = try TestSupport.run(
            TestSupport.which("spm_encode"),
            ["--model=\(TestSupport.model)", "--output_format=id", "--input=\(input.path)"])
        #expect(spm.status == 0)
        let expected = spm.stdout.split(separator: "\n").map { $0.split(separator: " ").compactMap { UInt32($0) } }
        #expect(expected.count == lines.count)

        for source in ["plain", "zst", "gz"] {
            let samples = try TestSupport.samples(dir.appendingPathComponent("out/tokens/\(source)"))
            #expect(samples.count == lines.count)
            #expect(samples.map { $0["tokens"]?.uint32s ?? [] } == expected, "\(source) ids differ from spm_encode")
            #expect(
                samples.first?["doc_id"]?.string
                    == "a.jsonl\(source == "plain" ? "" : source == "zst" ? ".zst" : ".gz"):1")
            #expect(samples.allSatisfy { $0["source"]?.string == source })
        }
        // Kept metadata travels with the document.
        let first = try TestSupport.samples(dir.appendingPathComponent("out/tokens/plain"))[5]
        #expect(first["meta"]?.json == .object(["meta": .object(["k": .int(5)])]))
        // Byte fallback: characters outside the vocabulary are byte pieces, not unk (id 2).
        #expect(!(expected.last ?? []).contains(2))
    }

    @Test func textFilesAndCodeTreesOneDocumentPerFileBinariesCounted() throws {
        let dir = try TestSupport.tempDir("tree")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tree = dir.appendingPathComponent("code")
        try FileManager.default.copyItem(atPath: TestSupport.codeRoot + "/json", toPath: tree.path)
        try FileManager.default.createDirectory(
            at: tree.appendingPathComponent("data"), withIntermediateDirectories: true)
        try Data([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01, 0x02, 0x00]).write(
            to: tree.appendingPathComponent("data/blob.py"))
        try FileManager.default.createDirectory(
            at: tree.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try "ignored".write(to: tree.appendingPathComponent(".git/config.py"), atomically: true, encoding: .utf8)
        let texts = try TestSupport.realTextFiles(3)
        let manifest = try TestSupport.manifest(
            in: dir,
            sources: """
                  - {name: docs, format: text, paths: [\(texts.joined(separator: ", "))], domain: web}
                  - {name: code, format: code, paths: [code], domain: code, extensions: {.py: Python}}
                """)
        let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let docs = try TestSupport.samples(dir.appendingPathComponent("out/tokens/docs"))
        #expect(docs.map { $0["doc_id"]?.string ?? "" } == texts.map { ($0 as NSString).lastPathComponent })
        // Expected ids from spm_encode, not our own encoder. spm_encode reads one sentence per line, so each
        // file goes to it as one line with its line breaks as spaces: the model's nmt_nfkc normalizer maps a
        // line break to a space and collapses runs of spaces, so the ids are the same (files are < 1 MiB,
        // encoded whole).
        var input = Data()
        for path in texts {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(bytes.count < 1 << 20)
            input.append(contentsOf: bytes.map { $0 == 0x0A ? 0x20 : $0 })
            input.append(0x0A)
        }
        let inputURL = dir.appendingPathComponent("texts.txt")
        try input.write(to: inputURL)
        let spm = try TestSupport.run(
            TestSupport.which("spm_encode"),
            ["--model=\(TestSupport.model)", "--output_format=id", "--input=\(inputURL.path)"])
        #expect(spm.status == 0, "\(spm.stderr)")
        let expected = spm.stdout.split(separator: "\n").map { $0.split(separator: " ").compactMap { UInt32($0) } }
        #expect(expected.count == texts.count)
        #expect(docs.map { $0["tokens"]?.uint32s ?? [] } == expected, "text documents' ids differ from spm_encode")
        let code = try TestSupport.samples(dir.appendingPathComponent("out/tokens/code"))
        let pyFiles = try FileManager.default.subpathsOfDirectory(atPath: TestSupport.codeRoot + "/json").filter {
            $0.hasSuffix(".py")
        }
        #expect(Set(code.map { $0["doc_id"]?.string ?? "" }) == Set(pyFiles))
        #expect(code.allSatisfy { $0["meta"]?.json?["lang"]?.stringValue == "Python" })
        let stats = try CatalogStats.load(
            try Catalog.openExisting(outputDirectory: dir.appendingPathComponent("out").path))
        let codeRow = try #require(stats.sources.first { $0.name == "code" })
        #expect(codeRow.skipped == 1)
        #expect(codeRow.documents == pyFiles.count)
        #expect(
            stats.skipReasons.contains {
                $0.reason.hasPrefix("binary file") && $0.example.hasSuffix("data/blob.py (byte offset 4)")
            })
    }

    @Test func outputIsByteIdenticalWhateverTheJobCount() throws {
        let dir = try TestSupport.tempDir("jobs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = try TestSupport.realLines(2000)
        let jsonl = lines.map { "{\"text\": \(TestSupport.jsonString($0))}" }.joined(separator: "\n")
        try jsonl.write(to: dir.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        var trees: [[String: Data]] = []
        for jobs in [1, 2, 5] {
            let sub = dir.appendingPathComponent("run\(jobs)")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let manifest = try TestSupport.manifest(
                in: sub, shardSize: "16KiB",
                sources: """
                      - {name: a, format: jsonl, paths: [\(dir.appendingPathComponent("a.jsonl").path)], domain: web}
                    """)
            let r = try TestSupport.moeData(["ingest", manifest, "--jobs", "\(jobs)", "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            trees.append(try TestSupport.tree(sub.appendingPathComponent("out/tokens")))
        }
        #expect(trees[0].count > 4, "several shards expected")
        #expect(trees[0] == trees[1], "--jobs 1 and 2 differ")
        #expect(trees[0] == trees[2], "--jobs 1 and 5 (an odd count, uneven slices) differ")
    }

    @Test func statsShowsPerSourceCountsAsTablesAndJSON() throws {
        let dir = try TestSupport.tempDir("stats")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = try TestSupport.realLines(50)
        var jsonl = lines.map { "{\"text\": \(TestSupport.jsonString($0))}" }
        jsonl.insert("{not json", at: 10)
        try jsonl.joined(separator: "\n").write(
            to: dir.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        let manifest = try TestSupport.manifest(
            in: dir,
            sources: """
                  - {name: a, format: jsonl, paths: [a.jsonl], domain: web}
                """)
        #expect(try TestSupport.moeData(["ingest", manifest, "--quiet"]).status == 0)
        let json = try TestSupport.moeData(["stats", dir.appendingPathComponent("out").path, "--json"])
        #expect(json.status == 0)
        let parsed = try JSONValue.parse(Data(json.stdout.utf8))
        let row = try #require(parsed["sources"]?.arrayValue?.first)
        #expect(row["documents"]?.intValue == 50)
        #expect(row["skipped"]?.intValue == 1)
        #expect(row["documents_read"]?.intValue == 51)
        let samples = try TestSupport.samples(dir.appendingPathComponent("out/tokens/a"))
        #expect(row["tokens"]?.intValue == Int64(samples.reduce(0) { $0 + ($1["tokens"]?.uint32s?.count ?? 0) }))
        #expect((row["bytes_in"]?.intValue ?? 0) > 0 && (row["bytes_out"]?.intValue ?? 0) > 0)
        let table = try TestSupport.moeData(["stats", dir.appendingPathComponent("out").path])
        #expect(table.stdout.contains("docs read") && table.stdout.contains("a.jsonl:11"))
    }

    @Test func globsTakeLinksToFilesButDoNotFollowLinkedFolders() throws {
        let dir = try TestSupport.tempDir("links")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent("real"), withIntermediateDirectories: true)
        try fm.createDirectory(at: dir.appendingPathComponent("links"), withIntermediateDirectories: true)
        let lines = try TestSupport.realLines(3).map { "{\"text\": \(TestSupport.jsonString($0))}" }
        try lines.joined(separator: "\n").write(
            to: dir.appendingPathComponent("real/a.jsonl"), atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(
            at: dir.appendingPathComponent("links/a.jsonl"),
            withDestinationURL: dir.appendingPathComponent("real/a.jsonl"))
        // A link back to a parent folder would make a walk endless if it were followed.
        try fm.createSymbolicLink(at: dir.appendingPathComponent("links/loop"), withDestinationURL: dir)
        let manifest = try TestSupport.manifest(
            in: dir, sources: "  - {name: a, format: jsonl, paths: [\"links/**/*.jsonl\"], domain: web}\n")
        let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try TestSupport.samples(dir.appendingPathComponent("out/tokens/a")).count == 3)
    }
}
