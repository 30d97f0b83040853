import Foundation
import JSON
import MDS
import PackedFormat
import Testing

@testable import MoeData

/// `packed_format: compact` (issue 18.3) on real builds of the sample with UL2 and causal phases: the
/// compact rows expand to exactly the explicit build's rows, and every reader gives the same answers.
@Suite(.serialized) struct CompactLayoutTests {
    /// The same manifest and mixture built twice, into `explicit/out` and `compact/out`.
    static let setup: Result<URL, any Error> = Result {
        let dir = try TestSupport.tempDir("compact")
        let mixture = try BuildTests.smallMixture(dir)
        for layout in PackedRowLayout.allCases {
            let manifest = try Self.manifest(in: dir.appendingPathComponent(layout.rawValue), layout: layout)
            let build = try TestSupport.moeData(["build", manifest, "--mixture", mixture, "--quiet"])
            guard build.status == 0 else { throw SetupError(description: "\(layout) build: \(build.stderr)") }
        }
        return dir
    }

    struct SetupError: Error, CustomStringConvertible { let description: String }

    /// The sample manifest (shards of 256 KiB, so there are several) writing `layout`.
    static func manifest(in dir: URL, layout: PackedRowLayout) throws -> String {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = try BuildTests.sampleManifest(in: dir, shardSize: "256KiB")
        guard layout != .explicit else { return path }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try (text + "packed_format: \(layout.rawValue)\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func output(_ layout: PackedRowLayout) throws -> URL {
        try setup.get().appendingPathComponent("\(layout.rawValue)/out")
    }

    static func rows(_ layout: PackedRowLayout) throws -> [(row: PackedRow, phase: Int?)] {
        try TestSupport.samples(output(layout).appendingPathComponent("packed")).map { sample in
            let row = try PackedRow(sample: sample, layout: layout, origin: "", withProvenance: true)
            return (row, PackedRow.phase(of: sample))
        }
    }

    @Test func compactRowsExpandToExactlyTheExplicitRows() throws {
        let explicit = try Self.rows(.explicit), compact = try Self.rows(.compact)
        #expect(explicit.count > 100 && compact.count == explicit.count)
        for (i, (a, b)) in zip(explicit, compact).enumerated() {
            #expect(a.row == b.row && a.phase == b.phase, "row \(i) differs")
        }
        let objectives = Set(explicit.flatMap { $0.row.segments.map(\.objective) })
        #expect(objectives == ["ul2", "causal"] && Set(explicit.map(\.phase)) == [0, 1])
        // Both are MDS datasets: the compact one has two per-segment columns instead of four per-token ones.
        let index = try JSONValue.parse(
            Data(contentsOf: Self.output(.compact).appendingPathComponent("packed/index.json")))
        let first = try #require(index["shards"]?.arrayValue?.first)
        #expect(
            first["column_names"]?.arrayValue?.compactMap(\.stringValue)
                == ["phase", "prefix_lengths", "provenance", "segment_lengths", "tokens"])
        #expect(
            first["column_encodings"]?.arrayValue?.compactMap(\.stringValue)
                == ["int", "ndarray:uint16", "json", "ndarray:uint16", "ndarray:uint32:2048"])
        func metadata(_ layout: PackedRowLayout) throws -> [String: JSONValue] {
            let url = try Self.output(layout).appendingPathComponent("packed/moe-data.json")
            return try JSONValue.parse(Data(contentsOf: url)).objectValue ?? [:]
        }
        var compactMeta = try metadata(.compact), explicitMeta = try metadata(.explicit)
        #expect(compactMeta["format_version"] == .int(2) && compactMeta["layout"] == .string("compact"))
        #expect(explicitMeta["format_version"] == .int(1) && explicitMeta["layout"] == nil)
        for key in ["format_version", "layout", "tokenizer"] {
            compactMeta[key] = nil
            explicitMeta[key] = nil
        }
        #expect(compactMeta == explicitMeta)
    }

    /// A few steps of `train` (rows in order: the shards differ between layouts, so a shuffled order would too)
    /// give the same log and the same checkpoint bytes on either layout.
    @Test func trainingOnEitherLayoutGivesIdenticalLosses() throws {
        var logs: [[String]] = [], checkpoints: [Data] = []
        for layout in PackedRowLayout.allCases {
            let run = try Self.setup.get().appendingPathComponent("train-\(layout.rawValue)")
            let train = try TestSupport.moeData([
                "train", "--data", try Self.output(layout).path, "--steps", "3", "--no-shuffle", "--threads", "1",
                "--out", run.path,
            ])
            #expect(train.status == 0, "\(layout): \(train.stderr)")
            let lines = try String(contentsOf: run.appendingPathComponent("train_log.jsonl"), encoding: .utf8)
            logs.append(
                try lines.split(separator: "\n").map { line in
                    var step = try JSONValue.parse(Data(line.utf8)).objectValue ?? [:]
                    step["tokens_per_s"] = nil
                    return JSONValue.object(step).encoded()
                })
            checkpoints.append(try Data(contentsOf: run.appendingPathComponent("checkpoint.safetensors")))
        }
        #expect(logs[0].count == 3 && logs[0].allSatisfy { $0.contains("\"loss\": ") })
        #expect(logs[0] == logs[1], "losses differ between the explicit and the compact rows")
        #expect(checkpoints[0] == checkpoints[1], "checkpoints differ between the explicit and the compact rows")
    }

    @Test func inspectAndVerifyReadBothLayouts() throws {
        let rows = try Self.rows(.explicit).count
        for n in [0, 1, rows / 2, rows - 1] {
            let outputs = try PackedRowLayout.allCases.map { layout in
                try TestSupport.moeData(["inspect", try Self.output(layout).path, "--row", "\(n)", "--ids"])
            }
            #expect(outputs.allSatisfy { $0.status == 0 }, "\(outputs.map(\.stderr))")
            let same = outputs[0].stdout == outputs[1].stdout
            #expect(same && outputs[0].stdout.contains("── segment 1: "), "row \(n)")
        }
        let verify = try TestSupport.moeData(["verify", try Self.output(.compact).path, "--deep"])
        #expect(verify.status == 0 && verify.stdout.contains("no problems"), "\(verify.stdout) \(verify.stderr)")
    }

    /// packed_format is part of the build's signature only when it is not the default: switching rebuilds the
    /// rows, switching back gives the explicit bytes again, and an unchanged manifest is up to date.
    @Test func switchingThePackedFormatRebuildsAndTheDefaultBytesStay() throws {
        let dir = try TestSupport.tempDir("compact-switch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mixture = try BuildTests.smallMixture(dir)
        let manifest = try Self.manifest(in: dir, layout: .explicit)
        let explicitText = try String(contentsOfFile: manifest, encoding: .utf8)
        let packed = dir.appendingPathComponent("out/packed")
        func build(_ layout: PackedRowLayout) throws -> String {
            let text = layout == .explicit ? explicitText : explicitText + "packed_format: \(layout.rawValue)\n"
            try text.write(toFile: manifest, atomically: true, encoding: .utf8)
            let r = try TestSupport.moeData(["build", manifest, "--mixture", mixture])
            #expect(r.status == 0, "\(layout): \(r.stderr)")
            return r.stdout
        }
        #expect(try !build(.explicit).contains("(up to date)"))
        let explicitRows = try TestSupport.tree(packed)
        #expect(try !build(.compact).contains("(up to date)"))
        #expect(
            try TestSupport.tree(packed)["/moe-data.json"].map { String(decoding: $0, as: UTF8.self) }?
                .contains("\"layout\": \"compact\"") == true)
        #expect(try !build(.explicit).contains("(up to date)"))
        #expect(try TestSupport.tree(packed) == explicitRows, "the explicit rows differ after a compact build")
        #expect(try build(.explicit).contains("(up to date)"))
    }

    /// An unknown packed_format is refused with the key and the two choices.
    @Test func anUnknownPackedFormatIsRefused() throws {
        let dir = try TestSupport.tempDir("compact-key")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.manifest(in: dir, layout: .explicit)
        let text = try String(contentsOfFile: path, encoding: .utf8) + "packed_format: bitpacked\n"
        #expect {
            try Manifest.parse(yaml: text, path: path)
        } throws: { error in
            let message = "\(error)"
            return message.contains("packed_format") && message.contains("'bitpacked' is not a packed format")
                && message.contains("'explicit'") && message.contains("'compact'")
        }
    }

    /// moe-data.json naming a layout this moe-data does not know: train, inspect and verify refuse it with
    /// one sentence naming the file.
    @Test func anUnknownLayoutIsRefusedByEveryReader() throws {
        let copy = try Self.setup.get().appendingPathComponent("unknown-layout")
        try FileManager.default.copyItem(at: try Self.output(.compact), to: copy)
        let file = copy.appendingPathComponent("packed/moe-data.json")
        var fields = try JSONValue.parse(Data(contentsOf: file)).objectValue ?? [:]
        fields["layout"] = .string("bitpacked")
        try Data(JSONValue.object(fields).encoded().utf8).write(to: file)
        let sentence = "layout 'bitpacked' is not one this moe-data reads (explicit, compact)"
        let train = try TestSupport.moeData([
            "train", "--data", copy.path, "--steps", "1", "--threads", "1",
            "--out", copy.appendingPathComponent("run").path,
        ])
        #expect(train.status == 1 && train.stderr.contains("\(file.path): \(sentence)"), "\(train.stderr)")
        let inspect = try TestSupport.moeData(["inspect", copy.path, "--row", "0"])
        #expect(inspect.status == 1 && inspect.stderr.contains("\(file.path): \(sentence)"), "\(inspect.stderr)")
        let verify = try TestSupport.moeData(["verify", copy.path])
        #expect(verify.status != 0 && verify.stdout.contains("packed/moe-data.json: \(sentence)"), "\(verify.stdout)")
    }
}
