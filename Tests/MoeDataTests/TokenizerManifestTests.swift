import Foundation
import Testing

@testable import MoeData

/// `moe-data tokenizer train --manifest`: the sample is drawn from the manifest's sources with
/// the shares asked for, and the model has the umT5 layout.
@Suite(.serialized) struct TokenizerManifestTests {
    @Test func trainsFromAManifestsSourcesWithPerSourceShares() throws {
        let dir = try TestSupport.tempDir("tokman")
        defer { try? FileManager.default.removeItem(at: dir) }
        let texts = try TestSupport.realTextFiles(20)
        let manifest = try TestSupport.manifest(
            in: dir,
            sources: """
                  - {name: prose, format: text, paths: [\(texts.joined(separator: ", "))], domain: web}
                  - {name: code, format: code, paths: [\(TestSupport.codeRoot)/json, \
                  \(TestSupport.codeRoot)/email], domain: code, extensions: [.py]}
                """)
        let model = dir.appendingPathComponent("m.model").path
        let r = try TestSupport.moeData([
            "tokenizer", "train", "-o", model, "--manifest", manifest, "--source-share", "prose=1",
            "--source-share", "code=3", "--vocab-size", "600", "--sample-bytes", "400K",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        // Budgets follow the shares: 100K for prose, 300K for code.
        #expect(r.stdout.contains("sample prose:") && r.stdout.contains("(budget 100000)"), "\(r.stdout)")
        #expect(r.stdout.contains("sample code:") && r.stdout.contains("(budget 300000)"), "\(r.stdout)")
        let t = try Tokenizer(modelPath: model)
        #expect(t.pieceCount == 600 && t.vocabSize == 900 && t.paddedVocabSize == 1024)
        #expect(t.padId == 0 && t.eosId == 1 && t.unkId == 2)
        let unknown = try TestSupport.moeData([
            "tokenizer", "train", "-o", model, "--manifest", manifest, "--source-share", "nope=1",
        ])
        #expect(
            unknown.status != 0 && unknown.stderr.contains("--source-share.nope: no source of that name"),
            "\(unknown.stderr)")
    }

    /// `build --seed` keys the sample of the tokenizer the build trains, as `tokenizer train --seed`
    /// does; without --seed the sample's seed stays 0, as it always was (so a build that gives no
    /// seed, the README's sample among them, trains the same tokenizer as before).
    @Test func buildSeedKeysTheSampleOfTheTokenizerItTrains() throws {
        let dir = try TestSupport.tempDir("tokseed")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Self.trainingManifest(in: dir)
        let mixture = dir.appendingPathComponent("mix.yaml").path
        try """
        name: lm
        phases:
          - {name: lm, budget: 20000, weights: {docs: 1}, objective: {type: causal}}
        """.write(toFile: mixture, atomically: true, encoding: .utf8)
        func build(_ seed: [String], into folder: String) throws -> Data {
            let output = dir.appendingPathComponent(folder)
            let r = try TestSupport.moeData(
                [
                    "build", manifest, "--mixture", mixture, "--output", output.path,
                    "--jobs", "2", "--quiet",
                ] + seed)
            #expect(r.status == 0, "\(r.stderr)")
            return try Data(contentsOf: output.appendingPathComponent("tok.model"))
        }
        func train(seed: String) throws -> Data {
            let model = dir.appendingPathComponent("seed\(seed).model").path
            let r = try TestSupport.moeData([
                "tokenizer", "train", "-o", model, "--manifest", manifest,
                "--vocab-size", "600", "--sample-bytes", "1M", "--threads", "2",
                "--seed", seed,
            ])
            #expect(r.status == 0, "\(r.stderr)")
            return try Data(contentsOf: URL(fileURLWithPath: model))
        }
        let seeded = try build(["--seed", "7"], into: "a")
        let unseeded = try build([], into: "b")
        let trainedWith7 = try train(seed: "7")
        let trainedWith0 = try train(seed: "0")
        #expect(trainedWith7 != trainedWith0, "the seed should change the sample of this corpus")
        #expect(seeded == trainedWith7)
        #expect(unseeded == trainedWith0)
    }

    /// The tokenizer a build trains does not depend on `--jobs` (libsentencepiece's model changes with
    /// its thread count, so the build trains with a fixed count): `--jobs 1` and `--jobs 3` give the
    /// same model, and it is the model `tokenizer train` makes with its default threads.
    @Test func tokenizerABuildTrainsIsTheSameWhateverJobs() throws {
        let dir = try TestSupport.tempDir("tokjobs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Self.trainingManifest(in: dir)
        func ingest(jobs: String) throws -> Data {
            let output = dir.appendingPathComponent("jobs\(jobs)")
            let r = try TestSupport.moeData(["ingest", manifest, "--output", output.path, "--jobs", jobs, "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            return try Data(contentsOf: output.appendingPathComponent("tok.model"))
        }
        let model = dir.appendingPathComponent("default.model").path
        let trained = try TestSupport.moeData([
            "tokenizer", "train", "-o", model, "--manifest", manifest,
            "--vocab-size", "600", "--sample-bytes", "1M",
        ])
        #expect(trained.status == 0, "\(trained.stderr)")
        let one = try ingest(jobs: "1")
        let three = try ingest(jobs: "3")
        #expect(one == three, "the tokenizer changed with --jobs")
        #expect(one == (try Data(contentsOf: URL(fileURLWithPath: model))))
    }

    /// A manifest whose tokenizer is trained by the build (600 pieces on a 1 MB sample) from more
    /// text than the sample, so which lines are drawn depends on the seed.
    static func trainingManifest(in dir: URL) throws -> String {
        let texts = try TestSupport.realTextFiles(200)
        let manifest = dir.appendingPathComponent("m.yaml").path
        try """
        name: trained
        output: out
        tokenizer:
          model: out/tok.model
          sentinels: 100
          train: {vocab_size: 600, sample_mb: 1}
        sources:
          - {name: docs, format: text, paths: [\(texts.joined(separator: ", "))], domain: web}
        """.write(toFile: manifest, atomically: true, encoding: .utf8)
        return manifest
    }
}
