import Foundation
import JSON
import Testing

/// `train` and `analyze` on damaged checkpoints and impossible options: a sentence naming the file,
/// tensor or option, never a trap, and no empty --out left behind (issue 25.4 to 25.7, 25.8).
@Suite(.serialized) struct TrainerRefusalTests {
    /// A small real build (rows of 128 tokens) and a two-step run of the tiny model on it.
    static let setup: Result<(dir: URL, output: URL, run: URL), any Error> = Result {
        let dir = try TestSupport.tempDir("trainrefuse")
        let manifest = try BuildRefusalFixtures.manifest(in: dir)
        let mixture = dir.appendingPathComponent("short.yaml")
        try """
        name: short
        total_tokens: 12000
        phases:
          - {name: lm, budget: 12000, weights: {c4: 1, the_stack: 1}, objective: {type: causal}, seq_len: 128}
        """.write(to: mixture, atomically: true, encoding: .utf8)
        let build = try TestSupport.moeData(["build", manifest, "--mixture", mixture.path, "--quiet", "--jobs", "1"])
        guard build.status == 0 else { throw MoeDataTestError("build failed: \(build.stderr)") }
        let output = dir.appendingPathComponent("out"), run = dir.appendingPathComponent("run")
        let train = try TestSupport.moeData([
            "train", "--data", output.path, "--steps", "2", "--checkpoint-every", "1",
            "--threads", "1", "--out", run.path,
        ])
        guard train.status == 0 else { throw MoeDataTestError("train failed: \(train.stderr)") }
        return (dir, output, run)
    }

    struct MoeDataTestError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// A run is refused: status 1 or 64 (ArgumentParser's usage error), never a signal, and `needle` in stderr.
    static func expectRefused(_ r: TestSupport.Output, _ needles: [String], _ what: String) {
        #expect(r.status == 1 || r.status == 64, "\(what): status \(r.status) \(r.stderr)")
        for n in needles { #expect(r.stderr.contains(n), "\(what): stderr lacks '\(n)': \(r.stderr)") }
    }

    /// The checkpoint with one float of tensor `name` set to NaN; returns the tensor name.
    static func poison(_ source: URL, to target: URL) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: source))
        let length = bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        let header = try JSONValue.parse(Data(bytes[8..<(8 + length)]))
        let names = header.objectValue?.keys.filter { $0 != "__metadata__" && !$0.hasPrefix("adam_") } ?? []
        let name = try #require(names.sorted().first)
        let begin = Int(try #require(header[name]?["data_offsets"]?.arrayValue?.first?.intValue))
        let nan = Float.nan.bitPattern.littleEndian
        withUnsafeBytes(of: nan) { for k in 0..<4 { bytes[8 + length + begin + 4 + k] = $0[k] } }
        try Data(bytes).write(to: target)
        return name
    }

    @Test func damagedCheckpointsAreRefusedByAnalyzeAndResume() throws {
        let (dir, output, run) = try Self.setup.get()
        let checkpoint = run.appendingPathComponent("checkpoint.safetensors")
        let packed = try FileManager.default.contentsOfDirectory(atPath: output.appendingPathComponent("packed").path)
        let shard = try #require(packed.filter { $0.hasSuffix(".mds.zstd") || $0.hasSuffix(".mds") }.sorted().first)
        let shardPath = output.appendingPathComponent("packed/\(shard)").path
        // An MDS shard and a file whose first 8 bytes are ≥ 2^63 (the issue's signal 4).
        let huge = dir.appendingPathComponent("huge.safetensors")
        var bytes = [UInt8](try Data(contentsOf: checkpoint))
        for k in 0..<8 { bytes[k] = 0xFF }
        try Data(bytes).write(to: huge)
        let nanFile = dir.appendingPathComponent("nan.safetensors")
        let tensor = try Self.poison(checkpoint, to: nanFile)
        for (file, needles) in [
            (shardPath, [shardPath]), (huge.path, [huge.path, "header length"]),
            (nanFile.path, [nanFile.path, "'\(tensor)'", "non-finite"]),
        ] {
            let report = dir.appendingPathComponent("analysis").path
            let analyze = try TestSupport.moeData([
                "analyze", file, "--data", output.path, "--rows", "2",
                "--threads", "1", "--out", report,
            ])
            Self.expectRefused(analyze, needles, "analyze \(file)")
            let resumeDir = dir.appendingPathComponent("resume-\(UUID().uuidString.prefix(6))")
            try FileManager.default.createDirectory(at: resumeDir, withIntermediateDirectories: true)
            let copy = resumeDir.appendingPathComponent("checkpoint.safetensors").path
            try FileManager.default.copyItem(atPath: file, toPath: copy)
            let resume = try TestSupport.moeData([
                "train", "--data", output.path, "--steps", "4", "--threads", "1",
                "--checkpoint-every", "1", "--out", resumeDir.path, "--resume",
            ])
            Self.expectRefused(
                resume, needles.map { $0 == file ? "checkpoint.safetensors" : $0 },
                "train --resume over \(file)")
        }
    }

    @Test func resumeRefusalsNameWhatDiffersAndLeaveTheRunAlone() throws {
        let (_, output, run) = try Self.setup.get()
        let before = try TestSupport.tree(run)
        let base = [
            "train", "--data", output.path, "--threads", "1", "--checkpoint-every", "1", "--out", run.path,
            "--resume",
        ]
        let shorter = try TestSupport.moeData(base + ["--steps", "1"])
        Self.expectRefused(shorter, ["at step 2", "--steps 1"], "resume --steps 1 of a step-2 run")
        let otherLR = try TestSupport.moeData(base + ["--steps", "3", "--lr", "0.0001"])
        Self.expectRefused(otherLR, ["schedule.peak"], "resume with another --lr")
        #expect(!otherLR.stderr.contains("\"model\""), "the whole saved config is dumped: \(otherLR.stderr)")
        #expect(try TestSupport.tree(run) == before, "a refused resume rewrote the run's files")
    }

    @Test func impossibleOptionsAreRefusedBeforeAnyFolderIsMade() throws {
        let (dir, output, _) = try Self.setup.get()
        let cases: [([String], String)] = [
            (["--batch-rows", "100000"], "--batch-rows"), (["--weight-decay", "nan"], "--weight-decay"),
            (["--aux-loss", "nan"], "--aux-loss"), (["--clip", "nan"], "--clip"),
            (["--router-z-loss", "inf"], "--router-z-loss"), (["--capacity-factor", "inf"], "--capacity-factor"),
            (["--threads", "0"], "--threads"), (["--warmup=-1"], "--warmup"), (["--clip=-1"], "--clip"),
            (["--log-every", "0"], "--log-every"), (["--batch-rows", "5000"], "--batch-rows"),
        ]
        for (args, option) in cases {
            let out = dir.appendingPathComponent("never-\(UUID().uuidString.prefix(6))")
            let r = try TestSupport.moeData(["train", "--data", output.path, "--steps", "1", "--out", out.path] + args)
            Self.expectRefused(r, [option], "train \(args)")
            #expect(!r.stderr.contains("EncodingError"), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "train \(args) left \(out.path)")
        }
        let clock = ContinuousClock(), start = clock.now
        let layer = try TestSupport.moeData([
            "analyze", dir.appendingPathComponent("run/checkpoint.safetensors").path,
            "--data", output.path, "--layer", "5", "--threads", "1",
            "--out", dir.appendingPathComponent("an").path,
        ])
        Self.expectRefused(layer, ["--layer 5", "2 MoE layers"], "analyze --layer 5")
        #expect(!layer.stdout.contains("tokens through"), "the model ran before --layer was checked: \(layer.stdout)")
        #expect(clock.now - start < .seconds(30))
    }

    /// Packed data whose moe-data.json has another format version, or none (the release before versions),
    /// is refused by `train`, `analyze` and `inspect` with one sentence: the file, the version found, the
    /// version read.
    @Test func packedDataOfAnotherFormatVersionIsRefused() throws {
        let (dir, output, run) = try Self.setup.get()
        let copy = dir.appendingPathComponent("format-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: output.appendingPathComponent("packed"),
            to: copy.appendingPathComponent("packed"))
        let file = copy.appendingPathComponent("packed/moe-data.json")
        guard case .object(var fields) = try JSONValue.parse(Data(contentsOf: file)) else {
            Issue.record("moe-data.json is not an object")
            return
        }
        #expect(fields["format_version"] == .int(1))
        for (version, found) in [
            (JSONValue.int(3), "has format_version 3, written by a newer moe-data"),
            (.null, "was written by an older moe-data (no format_version)"),
        ] {
            fields["format_version"] = version == .null ? nil : version
            try Data(JSONValue.object(fields).encoded().utf8).write(to: file)
            let sentence = [file.path + " " + found, "this moe-data reads format_version 1"]
            let train = try TestSupport.moeData([
                "train", "--data", copy.path, "--steps", "1", "--threads", "1",
                "--out", copy.appendingPathComponent("run").path,
            ])
            Self.expectRefused(train, sentence, "train on \(version)")
            let analyze = try TestSupport.moeData([
                "analyze", run.appendingPathComponent("checkpoint.safetensors").path,
                "--data", copy.path, "--rows", "2", "--threads", "1",
                "--out", copy.appendingPathComponent("analysis").path,
            ])
            Self.expectRefused(analyze, sentence, "analyze on \(version)")
            let inspect = try TestSupport.moeData(["inspect", copy.path, "--row", "0"])
            Self.expectRefused(inspect, sentence, "inspect on \(version)")
        }
    }

    /// `--dry-run --data` counts with the data's padded vocabulary, the one the run uses: it used the
    /// 8,192 of no data, and printed 4.3M parameters for `tiny` where the run had 4.4M (issue 20).
    @Test func aDryRunWithDataCountsTheDatasVocabulary() throws {
        let (_, output, _) = try Self.setup.get()
        let meta = try JSONSerialization.jsonObject(
            with: Data(contentsOf: output.appendingPathComponent("packed/moe-data.json"))) as? [String: Any]
        let padded = try #require(meta?["padded_vocab_size"] as? Int)
        #expect(padded != 8192, "the fixture's vocabulary must differ from the no-data default")
        let dry = try TestSupport.moeData(["train", "--dry-run", "--data", output.path])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("vocabulary \(padded)"), "\(dry.stdout)")
        // The run itself: its config.json holds the vocabulary it used.
        let config = try JSONSerialization.jsonObject(
            with: Data(contentsOf: try Self.setup.get().run.appendingPathComponent("config.json"))) as? [String: Any]
        let model = try #require(config?["model"] as? [String: Any])
        #expect(model["vocabSize"] as? Int == padded, "\(String(describing: config))")
    }
}
