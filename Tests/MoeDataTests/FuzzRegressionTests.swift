import Foundation
import MDS
import Testing

@testable import MoeData

/// What the libFuzzer harnesses of bench/fuzz found, replayed the way a user meets it: the real
/// binary ingesting a real file. Under `fail` the run names the file, line and reason; under
/// `skip` the record is counted and the rest of the file is kept.
@Suite(.serialized) struct FuzzRegressionTests {
    /// Runs `ingest` under both policies on good lines with `bad` as line 4 of the same file.
    func ingest(badLine bad: String, name: String, failMentions: [String]) throws {
        let dir = try TestSupport.tempDir("fuzz-ingest")
        defer { try? FileManager.default.removeItem(at: dir) }
        var lines = try IngestBadInputTests.goodLines(9)
        lines.insert(bad, at: 3)
        let file = dir.appendingPathComponent(name)
        try IngestBadInputTests.write(lines, file)
        for policy in ["fail", "skip"] {
            let sub = dir.appendingPathComponent(policy)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let manifest = try TestSupport.manifest(
                in: sub, onError: policy,
                sources: """
                      - {name: s, format: jsonl, paths: [\(file.path)], domain: web, keep: [meta]}
                    """)
            let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
            let crashed = r.stderr.contains("crashed") || r.stderr.contains("Fatal error")
            #expect(!crashed, "\(policy): \(r.stderr.prefix(600))")
            if policy == "fail" {
                #expect(r.status == 1, "fail policy: exit \(r.status)")
                for m in failMentions { #expect(r.stderr.contains(m), "stderr lacks '\(m)': \(r.stderr.prefix(600))") }
            } else {
                #expect(r.status == 0, "skip policy: exit \(r.status): \(r.stderr.prefix(600))")
                let out = sub.appendingPathComponent("out").path
                let stats = try CatalogStats.load(try Catalog.openExisting(outputDirectory: out))
                let row = try #require(stats.sources.first)
                #expect(row.skipped == 1)
                #expect(row.documents == 9)
                let reasons = stats.skipReasons.map(\.reason).joined(separator: "|")
                #expect(failMentions.dropFirst().allSatisfy { reasons.contains($0) }, "\(reasons)")
            }
        }
    }

    // bench/fuzz jsonl: a record whose value nests 200,000 arrays (a 200 KB line, far below
    // max_document_bytes) overflowed the parser's stack: ingest died with SIGSEGV. Both the
    // skipped path (a field the reader does not keep) and the kept path (`keep: [meta]`).
    @Test func deeplyNestedFieldIsARecordErrorNotACrash() throws {
        let deep = String(repeating: "[", count: 200_000)
        try ingest(
            badLine: "{\"text\": \"a\", \"other\": \(deep)", name: "deep.jsonl",
            failMentions: ["deep.jsonl:4", "nesting deeper than 512 levels"])
        try ingest(
            badLine: "{\"meta\": \(deep), \"text\": \"a\"}", name: "deep-kept.jsonl",
            failMentions: ["deep-kept.jsonl:4", "nesting deeper than 512 levels"])
    }

    // bench/fuzz manifest: a list used as a mapping key (`? - a`) hit Yams's force-unwrap of
    // every key as a string: `moe-data` died with SIGILL on any command that read the manifest.
    @Test func listAsAKeyIsAnErrorNamingTheLine() throws {
        let dir = try TestSupport.tempDir("fuzz-manifest")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("keys.yaml").path
        let cases = [
            "name: x\noutput: o\ntokenizer: {model: m.model}\nsources:\n ? - a\n",
            "name: x\noutput: o\ntokenizer: {model: m.model, ? {a: 1}: 2}\nsources: []\n",
        ]
        for (yaml, line) in zip(cases, [5, 3]) {
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try TestSupport.moeData(["ingest", path, "--quiet"])
            #expect(r.status == 1, "exit \(r.status): \(r.stderr.prefix(400))")
            #expect(r.stderr.contains("\(path):\(line): a key must be a plain name"), "\(r.stderr.prefix(400))")
        }
        // Plain keys, flow or block, numbers included, still load.
        let good =
            "name: x\noutput: o\ntokenizer: {model: m.model}\nsources:\n"
            + "  - {name: a, format: jsonl, paths: [x], domain: web}\n"
        try good.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try Manifest.load(path: path).sources.map(\.name) == ["a"])
    }

    // Integer traps in the mixture parser, each a SIGILL of `moe-data plan` / `build` before:
    // a `fraction:` of a total near Int.max (Double → Int conversion), two budgets whose sum
    // overflows, and UL2 lengths whose sum overflows.
    @Test func hugeNumbersInAMixtureAreErrorsNotTraps() throws {
        let dir = try TestSupport.tempDir("fuzz-mixture")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try TestSupport.manifest(
            in: dir,
            sources: """
                  - {name: web, format: jsonl, paths: [x.jsonl], domain: web}
                """)
        let big = "9223372036854775807"
        let nine = "9000000000000000000"
        let phase = "    weights: {web: 1}\n    objective: {type: causal}\n"
        let cases: [(String, String)] = [
            (
                "name: x\ntotal_tokens: \(big)\nphases:\n  - name: a\n    budget: {fraction: 1}\n" + phase,
                ":5: phases[0].budget: fraction 1.0 of \(big) tokens is more tokens than can be counted"
            ),
            (
                "name: x\nphases:\n  - name: a\n    budget: \(nine)\n" + phase
                    + "  - name: b\n    budget: \(nine)\n" + phase,
                "phases[1]: the phase budgets add up to more than \(big) tokens"
            ),
            (
                "name: x\nphases:\n  - name: a\n    budget: 100\n    weights: {web: 1}\n"
                    + "    objective: {type: ul2, inputs_length: \(big), targets_length: \(big)}\n",
                "phases[0].objective: inputs_length \(big) + targets_length \(big) exceed the phase's seq_len 2048"
            ),
        ]
        for (i, (yaml, message)) in cases.enumerated() {
            let path = dir.appendingPathComponent("mixture\(i).yaml").path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try TestSupport.moeData(["plan", manifest, "--mixture", path])
            #expect(r.status == 1, "case \(i): exit \(r.status): \(r.stderr.prefix(400))")
            #expect(r.stderr.contains(path) && r.stderr.contains(message), "case \(i): \(r.stderr.prefix(400))")
        }
    }

    // The manifest's byte-size parser converted `n * unit` with Int(), which traps on NaN and on values past
    // Int.max: `shard_size: 1e30MB` or `nanMB` killed every command that read the manifest.
    @Test func byteSizesPastIntMaxOrNaNAreErrorsNotTraps() throws {
        let dir = try TestSupport.tempDir("fuzz-sizes")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, size) in ["1e30MB", "nanMB", "-infGiB"].enumerated() {
            let sub = dir.appendingPathComponent("\(i)")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let manifest = try TestSupport.manifest(
                in: sub, shardSize: size,
                sources: """
                      - {name: web, format: jsonl, paths: [x.jsonl], domain: web}
                    """)
            let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
            #expect(r.status == 1, "\(size): exit \(r.status): \(r.stderr.prefix(400))")
            let message = "shard_size: expected a whole number (or a size such as 64MiB), got the string '\(size)'"
            #expect(r.stderr.contains(manifest) && r.stderr.contains(message), "\(size): \(r.stderr.prefix(400))")
        }
        #expect(ByteSize.parse("1.5MB") == 1_500_000)
        #expect(ByteSize.parse("64MiB") == 64 << 20)
        #expect(ByteSize.parse("1e30MB") == nil)
    }

    // bench/fuzz spm_model: a byte piece spelled `<0x-1>` parsed as byte -1 (Int(_:radix:) takes a
    // sign) and indexed the byte table out of range: the native encoder's loader trapped.
    // libsentencepiece refuses such a model first in the CLI; NativeUnigramEncoder(modelPath:)
    // (used by `tokenizer verify`) met it directly.
    @Test func signedByteInAByteFallbackPieceIsAnErrorNotATrap() throws {
        let dir = try TestSupport.tempDir("fuzz-model")
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try Data(contentsOf: URL(fileURLWithPath: TestSupport.model))
        let bad = try #require(
            String(data: good, encoding: .isoLatin1)?
                .replacingOccurrences(of: "<0x41>", with: "<0x-1>").data(using: .isoLatin1))
        #expect(bad != good && bad.count == good.count)
        let path = dir.appendingPathComponent("bad.model").path
        try bad.write(to: URL(fileURLWithPath: path))
        do {
            _ = try NativeUnigramEncoder(modelPath: path)
            Issue.record("a model with <0x-1> loaded")
        } catch {
            #expect(
                "\(error)".contains("\(path): byte piece #") && "\(error)".contains("\"<0x-1>\" is not <0xNN>"),
                "\(error)")
        }
        #expect(UnigramPieceTable.byteValue(Array("<0x4f>".utf8)) == 0x4F)
        #expect(UnigramPieceTable.byteValue(Array("<0x+F>".utf8)) == nil)
        _ = try NativeUnigramEncoder(modelPath: TestSupport.model)
    }
}
