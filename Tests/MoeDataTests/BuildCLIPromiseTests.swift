import Foundation
import JSON
import MDS
import MoeTestSupport
import Testing

@testable import MoeData

/// README promises checked on one small build made through the binary: `mode_tokens: reserved`, the
/// `plan` table and its refusal, `analyze` (with a finding that does not hold) and the trainer's NaN message.
@Suite(.serialized) struct BuildCLIPromiseTests {
    /// Two small sources, a tokenizer trained by the build with the mode tokens as user-defined symbols, and a
    /// mixture whose UL2 phase uses them as reserved ids. Built once per test process.
    static let build: Result<URL, any Error> = Result {
        let dir = try TestSupport.tempDir("promises")
        let lines = try TestSupport.realLines(3000)
        try lines.map { "{\"text\": \(TestSupport.jsonString($0))}" }.joined(separator: "\n")
            .write(to: dir.appendingPathComponent("web.jsonl"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(
            atPath: TestSupport.codeRoot + "/json",
            toPath: dir.appendingPathComponent("code").path)
        try """
        name: promises
        output: out
        on_error: skip
        shard_size: 64KiB
        tokenizer:
          model: out/tok.model
          sentinels: 300
          train: {vocab_size: 1200, sample_mb: 1, user_defined_symbols: ["[NLU]", "[NLG]", "[S2S]"]}
        sources:
          - {name: web, format: jsonl, paths: [web.jsonl], domain: web, language: en}
          - {name: code, format: code, paths: [code], domain: code, extensions: {.py: Python}}
        """.write(to: dir.appendingPathComponent("m.yaml"), atomically: true, encoding: .utf8)
        try """
        name: promises
        total_tokens: 40000
        seed: 3
        phases:
          - {name: ul2, budget: 30000, weights: {web: 60, code: 40}, objective: {type: ul2, mode_tokens: reserved}}
          - {name: lm, budget: rest, weights: {web: 80, code: 20}, objective: {type: causal}}
        """.write(to: dir.appendingPathComponent("mix.yaml"), atomically: true, encoding: .utf8)
        let r = try TestSupport.moeData([
            "build", dir.appendingPathComponent("m.yaml").path, "--mixture",
            dir.appendingPathComponent("mix.yaml").path, "--quiet",
        ])
        guard r.status == 0 else { throw MoeDataError("build failed: \(r.stderr)") }
        return dir
    }

    /// Each UL2 example starts with the single reserved id of its denoiser's mode token (ids read from the
    /// model's own vocabulary by spm_export_vocab); causal rows carry none.
    @Test func reservedModeTokensAreSingleIdsThroughABuild() throws {
        let dir = try Self.build.get()
        let vocab = try TestSupport.run(
            TestSupport.which("spm_export_vocab"),
            ["--model=\(dir.appendingPathComponent("out/tok.model").path)"])
        #expect(vocab.status == 0, "\(vocab.stderr)")
        let pieces = vocab.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
        func id(_ symbol: String) throws -> UInt32 { UInt32(try #require(pieces.firstIndex(of: symbol))) }
        let mode: [Character: UInt32] = ["R": try id("[NLU]"), "X": try id("[NLG]"), "S": try id("[S2S]")]
        var seen: [Character: Int] = [:]
        for row in try TestSupport.samples(dir.appendingPathComponent("out/packed")) {
            let tokens = try #require(row["tokens"]?.uint32s), segments = try #require(row["segment_ids"]?.uint16s)
            let provenance = row["provenance"]?.json?.arrayValue ?? []
            for (k, seg) in provenance.enumerated() {
                let start = try #require(segments.firstIndex(of: UInt16(k + 1)))
                if let denoiser = seg["denoiser"]?.stringValue, let kind = denoiser.first {
                    #expect(tokens[start] == mode[kind], "\(denoiser) example starts with \(tokens[start])")
                    #expect(!mode.values.contains(tokens[start + 1]), "one id per mode token, not several")
                    seen[kind, default: 0] += 1
                } else {
                    #expect(!mode.values.contains(tokens[start]), "a causal segment starts with a mode token")
                }
            }
        }
        #expect(seen["S", default: 0] > 0 && seen["R", default: 0] + seen["X", default: 0] > 0, "\(seen)")
    }

    @Test func planPrintsTheTableAndRefusesAMixtureThatCannotBeBuilt() throws {
        let dir = try Self.build.get()
        let manifest = dir.appendingPathComponent("m.yaml").path
        let r = try TestSupport.moeData(["plan", manifest, "--mixture", dir.appendingPathComponent("mix.yaml").path])
        #expect(r.status == 0, "\(r.stderr)")
        let stats = try CatalogStats.load(
            try Catalog.openExisting(outputDirectory: dir.appendingPathComponent("out").path))
        let web = try #require(stats.sources.first { $0.name == "web" })
        let grouped = web.tokens.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
        #expect(r.stdout.contains("Phase 1 of 2: ul2"), "\(r.stdout)")
        #expect(r.stdout.contains("source           domain           weight"))
        // web: 60% of 30,000 in phase 1 (18,000), 80% of 10,000 in phase 2 (8,000); available from the catalog.
        let webRows = r.stdout.split(separator: "\n").filter { $0.hasPrefix("  web ") }
        #expect(webRows.count == 2)
        #expect(webRows.first?.contains("18,000") == true && webRows.first?.contains(grouped) == true, "\(webRows)")
        #expect(webRows.last?.contains("8,000") == true)
        #expect(r.stdout.contains("Every source has enough tokens."))

        let big = dir.appendingPathComponent("big.yaml")
        try
            ("name: big\ntotal_tokens: 50M\nphases:\n  - {name: only, budget: 50M, weights: {web: 1, code: 1}, "
            + "objective: {type: causal}}\n").write(to: big, atomically: true, encoding: .utf8)
        let refused = try TestSupport.moeData(["plan", manifest, "--mixture", big.path])
        #expect(refused.status != 0)
        #expect(
            refused.stderr.contains("the mixture needs more tokens than the sources hold")
                && refused.stderr.contains("tokens are missing"),
            "\(refused.stderr)")
        #expect(refused.stdout.contains("!"), "the epochs column marks the sources that run out")
    }

    /// `analyze` through the binary on two checkpoints of a run whose high learning rate reshuffles the
    /// routing between them: the report states its findings, and early routing learning does not hold.
    /// Languages come from the code files' metadata (`lang` from the extension) and the web source's
    /// `language` in the manifest. The shipped probe file runs through the model next to the rows.
    @Test func analyzeReportsFindingsIncludingOneThatDoesNotHold() throws {
        let dir = try Self.build.get()
        let run = dir.appendingPathComponent("run-analyze"), report = dir.appendingPathComponent("report")
        let train = try TestSupport.moeData([
            "train", "--data", dir.appendingPathComponent("out").path, "--config",
            "tiny",
            "--steps", "6", "--lr", "0.05", "--warmup", "1", "--threads", "1",
            "--checkpoint-at", "0.17,1.0", "--out", run.path,
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: run.path)
            .filter { $0.hasPrefix("checkpoint-step") }.sorted().map { run.appendingPathComponent($0).path }
        #expect(checkpoints.count == 2, "\(checkpoints)")
        let r = try TestSupport.moeData(
            ["analyze"] + checkpoints + [
                "--data", dir.appendingPathComponent("out").path,
                "--rows", "8", "--threads", "1", "--out", report.path, "--probe", Self.probeFile,
            ])
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOf: report.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(text.contains("Context-independent specialization"))
        #expect(text.contains("Drop-towards-the-end"))
        #expect(text.contains("Early routing learning does NOT hold"), "\(text.prefix(2000))")
        #expect(r.stdout.contains("from document metadata"), "\(r.stdout)")
        let languages = try #require(
            try JSONValue.parse(Data(contentsOf: report.appendingPathComponent("report.json"))).objectValue?[
                "languages"])
        #expect(languages.objectValue?["names"]?.arrayValue?.compactMap(\.stringValue) == ["Python", "en"])
        for finding in ["5. Language specialization ", "6. Domain specialization", "7. Neighbouring tokens"] {
            #expect(text.contains(finding), "\(finding) missing")
        }
        let csv = try String(contentsOf: report.appendingPathComponent("neighbours.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 3)  // header + the tiny model's two MoE layers
        #expect(r.stdout.contains("probe \(Self.probeFile): 24 documents"), "\(r.stdout)")
        #expect(text.contains("8. Out-of-distribution input drops more"), "\(text.prefix(3000))")
        #expect(FileManager.default.fileExists(atPath: report.appendingPathComponent("probe-drops.svg").path))
    }

    /// The instruction/response pairs shipped for `analyze --probe` (bench/routing/).
    static let probeFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("bench/routing/probe-instructions.jsonl").path

    /// A probe file without a text field is refused with the file and line.
    @Test func analyzeRefusesABadProbeFile() throws {
        let dir = try Self.build.get()
        let bad = dir.appendingPathComponent("bad-probe.jsonl")
        try "{\"title\": \"x\"}\n".write(to: bad, atomically: true, encoding: .utf8)
        let r = try TestSupport.moeData([
            "analyze", "/nonexistent.safetensors", "--data", dir.appendingPathComponent("out").path,
            "--rows", "2", "--probe", bad.path, "--out", dir.appendingPathComponent("bad-report").path,
        ])
        #expect(r.status != 0)
        #expect(r.stderr.contains("bad-probe.jsonl:1: no 'text' field"), "\(r.stderr)")
    }

    /// A NaN loss stops `train` with the step and the data position, and no checkpoint from that state.
    @Test func nanLossNamesStepAndDataPosition() throws {
        let dir = try Self.build.get()
        let run = dir.appendingPathComponent("run-nan")
        let r = try TestSupport.moeData([
            "train", "--data", dir.appendingPathComponent("out").path, "--config", "tiny",
            "--steps", "6", "--lr", "1e6", "--warmup", "1", "--threads", "1", "--out", run.path,
        ])
        #expect(r.status != 0)
        #expect(
            r.stderr.contains("step ") && r.stderr.contains("(data epoch ") && r.stderr.contains(", row "),
            "\(r.stderr)")
        #expect(
            r.stderr.lowercased().contains("nan") && r.stderr.contains("without writing a checkpoint"),
            "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoint.safetensors").path))
        #expect(!r.stderr.contains("Fatal error"))
    }
}
