import Foundation
import Testing

@testable import MoeData

/// `--output` overrides the manifest's output; output paths that are files and source names that
/// would leave their folder are refused with a sentence naming the path or key.
@Suite struct OutputAndNamesTests {
    static func textSource(_ name: String) throws -> String {
        let files = try TestSupport.realTextFiles(3)
        return """
              - name: \(name)
                format: text
                paths: [\(files.joined(separator: ", "))]
                domain: web
            """
    }

    @Test func ingestWritesWhereOutputSaysAndTheManifestIsUntouched() throws {
        let dir = try TestSupport.tempDir("output")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try TestSupport.manifest(in: dir, sources: try OutputAndNamesTests.textSource("docs"))
        let before = try Data(contentsOf: URL(fileURLWithPath: manifest))
        let elsewhere = dir.appendingPathComponent("elsewhere/out2")
        let r = try TestSupport.moeData(["ingest", manifest, "--output", elsewhere.path, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("tokens/docs/index.json").path))
        #expect(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("catalog.sqlite").path))
        #expect(
            !FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path),
            "the manifest's output was written")
        #expect(try Data(contentsOf: URL(fileURLWithPath: manifest)) == before)
        let stats = try TestSupport.moeData(["stats", elsewhere.path, "--json"])
        #expect(stats.status == 0 && stats.stdout.contains("\"docs\""), "\(stats.stderr)")
    }

    @Test func aTokenizerModelInsideTheOutputMovesAlong() throws {
        let base = Manifest(
            path: "/m/sample.yaml", name: "s", output: "/m/out/sample",
            tokenizer: .init(model: "/m/out/sample/tokenizer/sample.model", sentinels: 300, train: nil),
            onError: .skip, shardSizeBytes: 1 << 20, compressionLevel: 3, maxDocumentBytes: 1 << 20,
            sources: [])
        let moved = base.withOutput("/tmp/x")
        #expect(moved.output == "/tmp/x" && moved.tokenizer.model == "/tmp/x/tokenizer/sample.model")
        var outside = base
        outside.tokenizer.model = "/models/umt5.model"
        #expect(outside.withOutput("/tmp/x").tokenizer.model == "/models/umt5.model")
        // A sibling whose name merely starts like the output is not inside it.
        outside.tokenizer.model = "/m/out/sample2/t.model"
        #expect(outside.withOutput("/tmp/x").tokenizer.model == "/m/out/sample2/t.model")
    }

    @Test func anOutputThatIsAFileIsOneSentenceNamingThePath() throws {
        let dir = try TestSupport.tempDir("outfile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try TestSupport.manifest(in: dir, sources: try OutputAndNamesTests.textSource("docs"))
        let file = dir.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let mixture = dir.appendingPathComponent("mix.yaml")
        try "name: m\nphases:\n  - {name: p, budget: 1000, weights: {docs: 1}, objective: {type: causal}}\n"
            .write(to: mixture, atomically: true, encoding: .utf8)
        for (command, target) in [("ingest", file.path), ("ingest", file.path + "/under"), ("build", file.path)] {
            var args = [command, manifest, "--output", target, "--quiet"]
            // A mixture this manifest can build, so the output is what the build refuses.
            if command == "build" { args += ["--mixture", mixture.path] }
            let r = try TestSupport.moeData(args)
            #expect(r.status == 1)
            #expect(r.stderr.hasPrefix("error: \(target): ") && r.stderr.contains("is a file"), "\(r.stderr)")
            #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("Code="), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
    }

    @Test func sourceNamesThatWouldLeaveTheirFolderAreRefused() throws {
        let dir = try TestSupport.tempDir("names")
        defer { try? FileManager.default.removeItem(at: dir) }
        let long = String(repeating: "a", count: 101)
        let cases: [(sources: [String], expect: String)] = [
            (["."], "outside tokens/"), ([".."], "outside tokens/"), ([".hidden"], "starts with '.'"),
            ([""], "non-empty"), ([long], "longer than 100"), (["a/b"], "may only use"), (["../x"], "starts with '.'"),
            (["Web", "web"], "differing only in case"),
        ]
        for c in cases {
            let yaml = try c.sources.map { try OutputAndNamesTests.textSource("\"\($0)\"") }.joined(separator: "\n")
            let manifest = try TestSupport.manifest(in: dir, sources: yaml)
            let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
            #expect(r.status == 1, "\(c.sources) was accepted")
            #expect(
                r.stderr.contains("sources[") && r.stderr.contains(".name: ") && r.stderr.contains(c.expect),
                "\(c.sources): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/tokens").path))
        }
        // A name with inner dots stays a folder of its own.
        let manifest = try TestSupport.manifest(in: dir, sources: try OutputAndNamesTests.textSource("web.v2-en_1"))
        let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let index = dir.appendingPathComponent("out/tokens/web.v2-en_1/index.json")
        #expect(FileManager.default.fileExists(atPath: index.path))
    }
}
