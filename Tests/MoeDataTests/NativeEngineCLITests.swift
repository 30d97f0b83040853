import Foundation
import MoeData
import Testing

/// `--tokenizer-engine` and `tokenizer verify` through the real `moe-data` binary.
@Suite struct NativeEngineCLITests {
    /// Real lines plus the strings that stress normalization, as a JSONL source.
    static func corpus(in dir: URL) throws -> String {
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("docs"), withIntermediateDirectories: true)
        let docs = try TokenizerFixtures.realLines(count: 300) + NativeEncoderTests.randomStrings(count: 200, seed: 7)
        let jsonl = docs.map { "{\"text\": \(TestSupport.jsonString($0))}" }.joined(separator: "\n") + "\n"
        try jsonl.write(to: dir.appendingPathComponent("docs/a.jsonl"), atomically: true, encoding: .utf8)
        return try TestSupport.manifest(
            in: dir,
            sources: """
                  - {name: docs, format: jsonl, paths: [docs], domain: web}
                """)
    }

    @Test func verifyReportsIdenticalIdsAndIngestIsTheSameWithEitherEngine() throws {
        let dir = try TestSupport.tempDir("native-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Self.corpus(in: dir)

        let verify = try TestSupport.moeData(["tokenizer", "verify", manifest, "--quiet"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("checked "), "\(verify.stdout)")
        #expect(verify.stdout.contains("identical ids"), "\(verify.stdout)")

        var trees: [String: [String: Data]] = [:]
        for engine in ["native", "library"] {
            let r = try TestSupport.moeData(["ingest", manifest, "--quiet", "--restart", "--tokenizer-engine", engine])
            #expect(r.status == 0, "\(engine): \(r.stderr)")
            trees[engine] = try TestSupport.tree(dir.appendingPathComponent("out/tokens"))
        }
        #expect(trees["native"]?.isEmpty == false)
        #expect(trees["native"] == trees["library"], "token shards differ between engines")

        let bad = try TestSupport.moeData(["ingest", manifest, "--quiet", "--tokenizer-engine", "fast"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("fast"), "\(bad.stderr)")
    }
}
