import Foundation
import JSON
import Testing

@testable import MoeData

/// `moe-data build` end to end, checked from the rows it writes.
@Suite(.serialized) struct BuildTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The built-in sample manifest, pointed at a temporary output and the test tokenizer.
    static func sampleManifest(in dir: URL, shardSize: String = "4MiB") throws -> String {
        var text = try String(contentsOf: repo.appendingPathComponent("manifests/sample.yaml"), encoding: .utf8)
        let tokStart = try #require(text.range(of: "tokenizer:"))
        let tokEnd = try #require(text.range(of: "sources:"))
        text.replaceSubrange(
            tokStart.lowerBound..<tokEnd.lowerBound,
            with: "tokenizer:\n  model: \(TestSupport.model)\n  sentinels: 300\n")
        text = text.replacingOccurrences(
            of: "output: ../out/sample", with: "output: \(dir.appendingPathComponent("out").path)")
        text = text.replacingOccurrences(of: "shard_size: 4MiB", with: "shard_size: \(shardSize)")
        let path = dir.appendingPathComponent("sample.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    struct PhaseTally {
        var sourceTokens: [String: Int] = [:]
        var objectives: Set<String> = []
        var rows = 0
    }

    /// Source tokens per phase and source, summed from the rows' provenance.
    static func tally(_ packed: URL) throws -> [Int: PhaseTally] {
        var out: [Int: PhaseTally] = [:]
        for row in try TestSupport.samples(packed) {
            let phase = Int(row["phase"]?.int ?? -1)
            var t = out[phase] ?? PhaseTally()
            t.rows += 1
            for seg in row["provenance"]?.json?.arrayValue ?? [] {
                let source = seg["source"]?.stringValue ?? "?"
                t.objectives.insert(seg["objective"]?.stringValue ?? "?")
                for doc in seg["docs"]?.arrayValue ?? [] {
                    t.sourceTokens[source, default: 0] += Int(doc.arrayValue?[2].intValue ?? 0)
                }
            }
            // Row invariants: segments 1..k then padding 0; positions restart per segment.
            let seg = row["segment_ids"]?.uint16s ?? []
            let pos = row["positions"]?.uint16s ?? []
            let tokens = row["tokens"]?.uint32s ?? []
            #expect(tokens.count == 2048 && seg.count == 2048 && pos.count == 2048)
            for i in 1..<seg.count where seg[i] != 0 {
                #expect(seg[i] == seg[i - 1] || seg[i] == seg[i - 1] + 1)
                #expect(seg[i] == seg[i - 1] ? pos[i] == pos[i - 1] + 1 : pos[i] == 0)
            }
            out[phase] = t
        }
        return out
    }

    @Test func openMoE8bOnTheSampleGivesExactCodeSharesInTheWrittenRows() throws {
        let dir = try TestSupport.tempDir("build8b")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try BuildTests.sampleManifest(in: dir)
        let r = try TestSupport.moeData([
            "build", manifest, "--mixture", BuildTests.repo.appendingPathComponent("mixtures/openmoe-8b.yaml").path,
            "--total-tokens", "3000000", "--quiet",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let m = try Manifest.load(path: manifest)
        let domains = Dictionary(uniqueKeysWithValues: m.sources.map { ($0.name, $0.domain) })
        let phases = try BuildTests.tally(dir.appendingPathComponent("out/packed"))
        #expect(phases.keys.sorted() == [0, 1])
        let p0 = try #require(phases[0]), p1 = try #require(phases[1])
        func codeShare(_ t: PhaseTally) -> Double {
            let total = t.sourceTokens.values.reduce(0, +)
            let code = t.sourceTokens.filter { domains[$0.key] == "code" }.values.reduce(0, +)
            return Double(code) / Double(total) * 100
        }
        // The switch sits where the scaled mixture puts it: 780/1100 of 3M source tokens.
        #expect(p0.sourceTokens.values.reduce(0, +) == 2_127_273)
        #expect(p1.sourceTokens.values.reduce(0, +) == 3_000_000 - 2_127_273)
        #expect(abs(codeShare(p0) - 52.25) < 0.01, "phase 1 code share \(codeShare(p0))")
        #expect(abs(codeShare(p1) - 15.0) < 0.01, "phase 2 code share \(codeShare(p1))")
        // UL2 rows before the switch, causal rows after it; Version II adds wikipedia_en.
        #expect(p0.objectives == ["ul2"])
        #expect(p1.objectives == ["causal"])
        #expect(p0.sourceTokens["wikipedia_en"] == nil && (p1.sourceTokens["wikipedia_en"] ?? 0) > 0)
        // stats shows the realized shares.
        let stats = try TestSupport.moeData(["stats", dir.appendingPathComponent("out").path])
        #expect(stats.stdout.contains("code 52.2500% (52.2500%)"), "\(stats.stdout)")
        // Per-window realized vs target (1% of a phase) is in the catalog and `stats --json`.
        let json = try JSONValue.parse(
            Data(try TestSupport.moeData(["stats", dir.appendingPathComponent("out").path, "--json"]).stdout.utf8))
        let windows = (json["mixture_realized"]?.arrayValue ?? []).filter {
            $0["window"] != .null && $0["phase"]?.intValue == 0
        }
        #expect(Set(windows.compactMap { $0["window"]?.intValue }).count == 100)
        for w in windows {
            let gap = abs((w["cumulative_realized"]?.intValue ?? 0) - (w["cumulative_target"]?.intValue ?? 0))
            #expect(
                gap <= 2014, "a window's cumulative realized tokens stray more than one chunk from the target: \(w)")
        }
        // inspect decodes a row: its segments, source, mode token and sentinels.
        let inspect = try TestSupport.moeData(["inspect", dir.appendingPathComponent("out").path, "--row", "0"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(
            inspect.stdout.contains("Phase 1 of 2 (v1-ul2)") && inspect.stdout.contains("segment 1: source "),
            "\(inspect.stdout.prefix(300))")
        #expect(inspect.stdout.contains("[inputs, no loss]") && inspect.stdout.contains("[targets, loss]"))
        #expect(["[NLU]", "[NLG]", "[S2S]"].contains { inspect.stdout.contains($0) })
        let rows = try TestSupport.samples(dir.appendingPathComponent("out/packed"))
        let spanRow = try #require(
            rows.firstIndex {
                $0["provenance"]?.json?.arrayValue?.first?["denoiser"]?.stringValue?.hasPrefix("X") == true
            }, "no row starts with an X-denoiser example")
        let x = try TestSupport.moeData(["inspect", dir.appendingPathComponent("out").path, "--row", "\(spanRow)"])
        #expect(x.stdout.contains("<extra_id_0>") && x.stdout.contains("[NLG]"), "\(x.stdout.prefix(600))")
        let meta = try JSONValue.parse(Data(contentsOf: dir.appendingPathComponent("out/packed/moe-data.json")))
        #expect(meta["vocab_size"]?.intValue == 1300 && meta["padded_vocab_size"]?.intValue == 1408)
    }

    /// A small mixture over a few sample sources, fast enough to build several times.
    static func smallMixture(_ dir: URL) throws -> String {
        let path = dir.appendingPathComponent("small.yaml").path
        try """
        name: small
        total_tokens: 400000
        seed: 11
        phases:
          - name: ul2
            budget: 250000
            weights: {the_stack: 50, common_crawl: 30, c4: 20}
            objective: {type: ul2}
          - name: lm
            budget: rest
            weights: {the_stack: 15, common_crawl: 60, c4: 25}
            objective: {type: causal}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func rowsAreByteIdenticalWithOneAndTwoJobsAndAfterAKilledBuild() throws {
        let dir = try TestSupport.tempDir("buildkill")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mixture = try BuildTests.smallMixture(dir)
        func manifest(_ name: String) throws -> String {
            let sub = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            return try BuildTests.sampleManifest(in: sub, shardSize: "64KiB")
        }
        let one = try manifest("one"), two = try manifest("two"), killed = try manifest("killed")
        #expect(try TestSupport.moeData(["build", one, "--mixture", mixture, "--jobs", "1", "--quiet"]).status == 0)
        #expect(try TestSupport.moeData(["build", two, "--mixture", mixture, "--jobs", "2", "--quiet"]).status == 0)
        let a = try TestSupport.tree(dir.appendingPathComponent("one/out/packed"))
        let b = try TestSupport.tree(dir.appendingPathComponent("two/out/packed"))
        #expect(a.count > 20, "expected many packed shards, got \(a.count) files")
        #expect(a == b, "rows differ between --jobs 1 and --jobs 2")

        // Ingest first, so the kill lands in the packing stage, then kill the build mid-way.
        #expect(try TestSupport.moeData(["ingest", killed, "--quiet"]).status == 0)
        let p = Process()
        p.executableURL = TestSupport.binary
        p.arguments = ["build", killed, "--mixture", mixture, "--quiet"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let packed = dir.appendingPathComponent("killed/out/packed")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && p.isRunning {
            // Rows are written to packed.partial/ until the build is complete.
            let partial = packed.path + ".partial"
            let n =
                (try? FileManager.default.contentsOfDirectory(atPath: partial).filter { $0.hasSuffix(".zstd") }.count)
                ?? 0
            if n >= 6 { break }
            usleep(500)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal, "the build must be killed mid-way")
        #expect(!FileManager.default.fileExists(atPath: packed.appendingPathComponent("index.json").path))
        let rerun = try TestSupport.moeData(["build", killed, "--mixture", mixture])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(
            rerun.stdout.contains("resumed an interrupted build after"),
            "the rerun must resume from the checkpoint: \(rerun.stdout)")
        let c = try TestSupport.tree(packed)
        #expect(a == c, "the resumed build differs from an uninterrupted one")
    }

    @Test func aMixtureNeedingMoreThanExistsFailsBeforeBuilding() throws {
        let dir = try TestSupport.tempDir("buildshort")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try BuildTests.sampleManifest(in: dir)
        let path = dir.appendingPathComponent("big.yaml").path
        try """
        name: big
        total_tokens: 40M
        phases:
          - {name: only, budget: 40M, weights: {stackexchange: 1, the_stack: 1}, objective: {type: causal}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try TestSupport.moeData(["build", manifest, "--mixture", path, "--quiet"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("stackexchange") && r.stderr.contains("max_epochs"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/packed/index.json").path))
    }
}
