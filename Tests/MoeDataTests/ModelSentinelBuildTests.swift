import Foundation
import PackedFormat
import Testing

@testable import MoeData

/// Builds and commands with a model that has its own sentinel pieces: `from_model` end to end,
/// `sentinels: 0` for causal mixtures and its refusal for UL2, and the build signature.
@Suite(.serialized) struct ModelSentinelBuildTests {
    @Test func tokenizerCommandsTakeFromModelAndZero() throws {
        let model = try ModelSentinelFixtures.model()
        let zero = try TestSupport.moeData(["tokenizer", "info", "-m", model, "--sentinels", "0"])
        #expect(zero.status == 0 && zero.stdout.contains("sentinels: 0"), "\(zero.stderr)")
        let own = try TestSupport.moeData(["tokenizer", "info", "-m", model, "--sentinels", "from_model", "--json"])
        #expect(own.status == 0, "\(own.stderr)")
        #expect(own.stdout.contains("\"sentinels\": 100") && own.stdout.contains("\"sentinels_from_model\": true"))
        #expect(own.stdout.contains("\"vocab_size\": 1000"), "\(own.stdout)")
        let refused = try TestSupport.moeData(["tokenizer", "info", "-m", model])
        #expect(refused.status == 1 && refused.stderr.contains("--sentinels from_model"), "\(refused.stderr)")
        let decoded = try TestSupport.moeData(
            ["tokenizer", "encode", "-m", model, "--sentinels", "from_model", "a <extra_id_7> b"])
        #expect(decoded.status == 0, "\(decoded.stderr)")
        let t = try Tokenizer(modelPath: model, sentinels: .fromModel)
        let ids = decoded.stdout.split(whereSeparator: \.isWhitespace)
        #expect(ids.contains(Substring(String(try t.sentinel(7)))), "\(decoded.stdout)")
    }

    /// `sentinels: 0` builds a causal mixture; a UL2 phase is refused by `plan` and `build`, naming
    /// the phase, before anything is written.
    @Test func zeroSentinelsServeCausalMixturesAndRefuseUL2() throws {
        let dir = try TestSupport.tempDir("zero-sentinels")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try ModelSentinelFixtures.manifest(
            in: dir, model: try ModelSentinelFixtures.model(), sentinels: "0")
        let ul2 = try ModelSentinelFixtures.mixture(in: dir)
        for command in ["plan", "build"] {
            let r = try TestSupport.moeData([command, manifest, "--mixture", ul2])
            #expect(r.status == 1, "\(command): \(r.stdout)")
            #expect(r.stderr.contains("phases[0].objective: phase 'ul2' is UL2 with span denoisers"), "\(r.stderr)")
            #expect(r.stderr.contains("sentinels: 300") && r.stderr.contains("from_model"), "\(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
        // Loaded tokenizer, same refusal (the check `build` repeats once the tokenizer is loaded).
        let mixture = try MixtureParser.load(path: ul2)
        let tokenizer = try Tokenizer(modelPath: try ModelSentinelFixtures.model(), sentinels: .appended(0))
        #expect(throws: MoeDataError.self) {
            try mixture.validateForBuild(knownSources: ["web", "code"], tokenizer: tokenizer)
        }

        let causal = try ModelSentinelFixtures.mixture(in: dir, name: "causal.yaml", objective: "{type: causal}")
        let built = try TestSupport.moeData(["build", manifest, "--mixture", causal, "--quiet"])
        #expect(built.status == 0, "\(built.stderr)")
    }

    /// The UL2 rows carry the model's own sentinel ids, `inspect` names them, and the output records
    /// where its sentinels came from.
    @Test func fromModelBuildsUL2WithTheModelsSentinelIds() throws {
        let dir = try TestSupport.tempDir("from-model-build")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try ModelSentinelFixtures.model()
        let manifest = try ModelSentinelFixtures.manifest(in: dir, model: model, sentinels: "from_model")
        let r = try TestSupport.moeData(["build", manifest, "--mixture", try ModelSentinelFixtures.mixture(in: dir)])
        #expect(r.status == 0, "\(r.stderr)")
        let output = dir.appendingPathComponent("out").path
        let inspector = try RowInspector(outputDirectory: output)
        #expect(inspector.metadata.sentinelsFromModel && inspector.metadata.sentinels == 100)
        #expect(inspector.metadata.vocabSize == 1000)
        let t = try Tokenizer(modelPath: model, sentinels: .fromModel)
        let sentinelIds = Set(try (0..<100).map { try t.sentinel($0) })
        let modeIds = Set(ModeToken.allCases.compactMap { t.pieceId($0.rawValue) })
        var sentinelsSeen = 0
        var modesSeen = 0
        var shownRow: Int?
        for n in 0..<inspector.rowCount {
            let (row, phase) = try inspector.row(n)
            #expect(row.tokens.allSatisfy { Int($0) < t.pieceCount }, "row \(n) has an id beyond the model")
            let sentinels = row.tokens.filter { sentinelIds.contains($0) }.count
            if phase == 0 { sentinelsSeen += sentinels } else { #expect(sentinels == 0) }
            if sentinels > 0 && shownRow == nil { shownRow = n }
            modesSeen += row.tokens.filter { modeIds.contains($0) }.count
        }
        #expect(sentinelsSeen > 0 && modesSeen > 0, "\(sentinelsSeen) sentinels, \(modesSeen) mode tokens")
        let n = try #require(shownRow)
        let shown = try TestSupport.moeData(["inspect", output, "--row", String(n)])
        #expect(shown.status == 0 && shown.stdout.contains("<extra_id_0>"), "\(shown.stderr)\(shown.stdout)")
        #expect(shown.stdout.contains("[NLU]") || shown.stdout.contains("[NLG]") || shown.stdout.contains("[S2S]"))
    }

    /// OpenMoE's UL2 objective as the sample's openmoe-8b schedule runs it (six denoisers, 1024 + 1024,
    /// up to 255 noise spans): refused with the model's 100 sentinels, built with 300 of its own.
    @Test func openMoEsUL2TakesThreeHundredOfTheModelsOwnSentinels() throws {
        let dir = try TestSupport.tempDir("openmoe-ul2-own")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mixture = dir.appendingPathComponent("ul2.yaml").path
        try """
        name: openmoe-ul2
        total_tokens: 50000
        seed: 5
        phases:
          - {name: v1-ul2, budget: rest, weights: {web: 70, code: 30}, objective: {type: ul2, mode_tokens: text}}
        """.write(toFile: mixture, atomically: true, encoding: .utf8)
        let own = try ModelSentinelFixtures.model()
        let hundred = try ModelSentinelFixtures.manifest(
            in: dir.appendingPathComponent("hundred"), model: own, sentinels: "from_model")
        let refused = try TestSupport.moeData(["plan", hundred, "--mixture", mixture])
        #expect(refused.status == 1 && refused.stderr.contains("only 100 sentinels"), "\(refused.stderr)")
        #expect(refused.stderr.contains("more <extra_id_k> pieces for from_model"), "\(refused.stderr)")

        let model = try ModelSentinelFixtures.train(
            "own-300-sentinels", symbols: (0..<300).map(Tokenizer.sentinelPiece) + ModeToken.symbols)
        let manifest = try ModelSentinelFixtures.manifest(
            in: dir.appendingPathComponent("three-hundred"), model: model, sentinels: "from_model")
        let built = try TestSupport.moeData(["build", manifest, "--mixture", mixture, "--quiet"])
        #expect(built.status == 0, "\(built.stderr)")
        let inspector = try RowInspector(outputDirectory: dir.appendingPathComponent("three-hundred/out").path)
        let t = try Tokenizer(modelPath: model, sentinels: .fromModel)
        var highest = -1
        for n in 0..<inspector.rowCount {
            let tokens = try inspector.row(n).row.tokens
            #expect(tokens.allSatisfy { Int($0) < t.pieceCount })
            highest = max(highest, tokens.compactMap { t.sentinelIndex($0) }.max() ?? -1)
        }
        #expect(highest >= 100, "the longest span corruption used sentinels up to \(highest)")
    }

    /// A build made with appended sentinels (here 0) is not up to date for `from_model`, nor the reverse:
    /// the signature names the sentinels' source.
    @Test func theSignatureNamesTheSentinelSource() throws {
        let dir = try TestSupport.tempDir("sentinel-signature")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try ModelSentinelFixtures.model()
        let causal = try ModelSentinelFixtures.mixture(in: dir, name: "causal.yaml", objective: "{type: causal}")
        func build(_ sentinels: String) throws -> String {
            let manifest = try ModelSentinelFixtures.manifest(in: dir, model: model, sentinels: sentinels)
            let r = try TestSupport.moeData(["build", manifest, "--mixture", causal])
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout
        }
        #expect(!(try build("0")).contains("(up to date)"))
        #expect(try build("0").contains("(up to date)"))
        #expect(!(try build("from_model")).contains("(up to date)"), "appended 0 reused for from_model")
        #expect(try build("from_model").contains("(up to date)"))
        #expect(!(try build("0")).contains("(up to date)"), "from_model reused for appended 0")
    }
}
