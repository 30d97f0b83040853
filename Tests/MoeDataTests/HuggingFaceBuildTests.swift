import Foundation
import JSON
import MDS
import PackedFormat
import Testing

@testable import MoeData

/// A tokenizer.json through the real binary: ingest and build give `tokenizers`' ids, with a
/// vocabulary over 65,536 ids (uint32 end to end), the manifest's EOS, and 300 sentinels appended
/// after the vocabulary; the tokenizer commands, train and analyze take it too.
@Suite(.serialized) struct HuggingFaceBuildTests {
    static let fillerCount = 70_000

    /// The llama3 fixture with filler pieces up to 70,000 ids and `<|eod|>`, an added token that gets
    /// the id after them (70,000): so EOS and the sentinels are beyond 16 bits.
    static func largeVocabulary(in dir: URL) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: try HuggingFaceFixtures.path("llama3")))
        guard case .object(var file) = try JSONValue.parse(data), case .object(var model)? = file["model"],
            case .object(var vocab)? = model["vocab"], case .array(var added)? = file["added_tokens"]
        else { throw MoeDataError("unexpected fixture layout") }
        var next = vocab.count
        while next < fillerCount {
            vocab["<filler_\(next)>"] = .int(Int64(next))
            next += 1
        }
        model["vocab"] = .object(vocab)
        file["model"] = .object(model)
        added.append(
            .object([
                "id": .int(Int64(fillerCount)), "content": .string("<|eod|>"), "single_word": .bool(false),
                "lstrip": .bool(false), "rstrip": .bool(false), "normalized": .bool(false), "special": .bool(true),
            ]))
        file["added_tokens"] = .array(added)
        let path = dir.appendingPathComponent("tokenizer.json").path
        try Data(JSONValue.object(file).encoded().utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let sources = ["web": TestSupport.docsRoot + "/tutorial", "code": TestSupport.codeRoot + "/json"]

    /// ModelSentinelFixtures' manifest (the sources above) with 300 sentinels and `<|eod|>` as EOS.
    static func manifest(in dir: URL, model: String) throws -> String {
        let path = try ModelSentinelFixtures.manifest(in: dir, model: model, sentinels: "300")
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
            of: "  sentinels: 300\n", with: "  sentinels: 300\n  eos: \"<|eod|>\"\n")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let mixture = dir.appendingPathComponent("mix.yaml").path
        let ul2 = "{type: ul2, inputs_length: 256, targets_length: 256, mode_tokens: text}"
        try """
        name: hf-mix
        total_tokens: 30000
        seed: 3
        phases:
          - {name: ul2, budget: 12000, weights: {web: 50, code: 50}, objective: \(ul2)}
          - {name: lm, budget: rest, weights: {web: 70, code: 30}, objective: {type: causal}}
        """.write(toFile: mixture, atomically: true, encoding: .utf8)
        return path
    }

    /// `tokenizers`' ids of every document of the sources, by source and document id.
    static func libraryIds(_ model: String, tokens: URL) throws -> [String: [String: [UInt32]]] {
        var ids: [String: [String: [UInt32]]] = [:]
        for (source, folder) in sources {
            let docIds = try TestSupport.samples(tokens.appendingPathComponent(source)).compactMap {
                $0["doc_id"]?.string
            }
            let texts = try docIds.map { try String(contentsOfFile: folder + "/" + $0, encoding: .utf8) }
            ids[source] = Dictionary(
                uniqueKeysWithValues: zip(docIds, try HuggingFaceFixtures.libraryIds(model, texts)))
        }
        return ids
    }

    @Test func ingestAndBuildGiveTheLibrarysIdsBeyondSixteenBits() throws {
        let dir = try TestSupport.tempDir("hf-build")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Self.largeVocabulary(in: dir)
        let manifest = try Self.manifest(in: dir, model: model)
        let ingest = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let build = try TestSupport.moeData(
            ["build", manifest, "--mixture", dir.appendingPathComponent("mix.yaml").path, "--quiet"])
        #expect(build.status == 0, "\(build.stderr)")

        let tokens = dir.appendingPathComponent("out/tokens")
        let expected = try Self.libraryIds(model, tokens: tokens)
        for source in Self.sources.keys {
            let docs = try TestSupport.samples(tokens.appendingPathComponent(source))
            #expect(!docs.isEmpty)
            for doc in docs {
                let id = doc["doc_id"]?.string ?? ""
                #expect(doc["tokens"]?.uint32s == expected[source]?[id], "\(source) \(id)")
            }
        }

        let inspector = try RowInspector(outputDirectory: dir.appendingPathComponent("out").path)
        let eod = UInt32(Self.fillerCount)
        #expect(inspector.metadata.eosId == Int(eod) && inspector.metadata.pieces == Self.fillerCount + 1)
        #expect(inspector.metadata.vocabSize == Self.fillerCount + 1 + 300)
        var sentinels = 0
        var causalSegments = 0
        for n in 0..<inspector.rowCount {
            let (row, _) = try inspector.row(n)
            #expect(row.tokens.allSatisfy { Int($0) < inspector.metadata.vocabSize })
            sentinels += row.tokens.filter { $0 > eod }.count
            for segment in row.segments where segment.objective == "causal" {
                causalSegments += 1
                let ids = zip(row.tokens, row.segmentIds).filter { Int($0.1) == segment.segment && $0.0 != eod }
                let slices = segment.pieces.flatMap { piece -> [UInt32] in
                    let doc = expected[segment.source]?[piece.docId] ?? []
                    return piece.offset + piece.count <= doc.count
                        ? Array(doc[piece.offset..<(piece.offset + piece.count)]) : []
                }
                #expect(ids.map(\.0) == slices, "row \(n) segment \(segment.segment)")
            }
        }
        #expect(sentinels > 0 && causalSegments > 0, "\(sentinels) sentinel ids, \(causalSegments) causal segments")
        let shown = try TestSupport.moeData(["inspect", dir.appendingPathComponent("out").path, "--row", "0"])
        #expect(shown.status == 0 && shown.stdout.contains("<extra_id_"), "\(shown.stderr)")

        // The MoE trainer embeds all 70,400 padded ids, and analyze names the pieces of frequent ids.
        let out = dir.appendingPathComponent("out").path
        let runs = dir.appendingPathComponent("runs").path
        let train = try TestSupport.moeData(
            ["train", "--data", out, "--config", "tiny", "--steps", "2", "--batch-rows", "2", "--out", runs])
        #expect(train.status == 0, "\(train.stderr)")
        let analyze = try TestSupport.moeData(
            ["analyze", runs + "/checkpoint.safetensors", "--data", out, "--rows", "4", "--out", runs + "/report"])
        #expect(analyze.status == 0, "\(analyze.stderr)")
    }

    /// `tokenizer info`, `encode`, `decode` and `verify` take a tokenizer.json; `verify` checks it
    /// against Python's tokenizers.
    @Test func tokenizerCommandsTakeATokenizerJSON() throws {
        let dir = try TestSupport.tempDir("hf-commands")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Self.largeVocabulary(in: dir)
        let info = try TestSupport.moeData(["tokenizer", "info", "-m", model, "--eos", "<|eod|>", "--json"])
        #expect(info.status == 0, "\(info.stderr)")
        for field in ["\"vocab_size\": 70301", "\"eos_id\": 70000", "\"unk_id\": null", "\"first_sentinel_id\": 70300"]
        {
            #expect(info.stdout.contains(field), "\(info.stdout) lacks \(field)")
        }
        let text = "def f(x):\n    return x  # It's 12345 ünïcödé <|endoftext|>"
        let encoded = try TestSupport.moeData(["tokenizer", "encode", "-m", model, "--format", "json", text])
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let ids = try HuggingFaceFixtures.libraryIds(model, [text])
        #expect(
            encoded.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == JSONValue.array(
                    (ids.first ?? []).map { .int(Int64($0)) }
                ).encoded().replacingOccurrences(of: " ", with: ""))
        let decoded = try TestSupport.moeData(
            ["tokenizer", "decode", "-m", model] + (ids.first ?? []).map(String.init))
        #expect(decoded.stdout == text + "\n", "\(decoded.stderr)")
        let manifest = try Self.manifest(in: dir, model: model)
        let verify = try TestSupport.moeData(["tokenizer", "verify", manifest, "--quiet"])
        #expect(verify.status == 0 && verify.stdout.contains("identical ids"), "\(verify.stdout)\(verify.stderr)")
        let library = try TestSupport.moeData(["tokenizer", "info", "-m", model, "--tokenizer-engine", "library"])
        #expect(library.status == 1 && library.stderr.contains("only the native encoder"), "\(library.stderr)")
    }

    /// A manifest whose tokenizer.json names no EOS is refused by `build`, saying what to add.
    @Test func aTokenizerJSONWithoutEOSNeedsTheManifestToNameOne() throws {
        let dir = try TestSupport.tempDir("hf-no-eos")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Self.manifest(in: dir, model: try HuggingFaceFixtures.path("gpt2"))
        let text = try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(
            of: "  eos: \"<|eod|>\"\n", with: "")
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
        let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(
            r.status == 1 && r.stderr.contains("tokenizer.eos") && r.stderr.contains("<|endoftext|>"), "\(r.stderr)")
    }

    /// The whole built-in sample through ingest with the GPT-2-like tokenizer.json: every document's
    /// ids are `tokenizers`' ids of its text (byte-level BPE loses nothing, so the text is the ids decoded).
    @Test func theBuiltInSampleGivesTheLibrarysIds() throws {
        let dir = try TestSupport.tempDir("hf-sample")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try HuggingFaceFixtures.path("gpt2")
        var text = try String(
            contentsOf: BuildTests.repo.appendingPathComponent("manifests/sample.yaml"), encoding: .utf8)
        let tokenizer = try #require(text.range(of: "tokenizer:")).lowerBound
        let sources = try #require(text.range(of: "sources:")).lowerBound
        text.replaceSubrange(
            tokenizer..<sources, with: "tokenizer:\n  model: \(model)\n  sentinels: 300\n  eos: \"<|endoftext|>\"\n")
        text = text.replacingOccurrences(
            of: "output: ../out/sample", with: "output: \(dir.appendingPathComponent("out").path)")
        let manifest = dir.appendingPathComponent("sample.yaml").path
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
        let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let t = try Tokenizer(modelPath: model, sentinels: 300, eos: .piece("<|endoftext|>"))
        var ours: [[UInt32]] = []
        for source in try Manifest.load(path: manifest).sources {
            for doc in try TestSupport.samples(dir.appendingPathComponent("out/tokens/\(source.name)")) {
                ours.append(doc["tokens"]?.uint32s ?? [])
            }
        }
        #expect(ours.count > 500)
        let texts = try ours.map { try t.decode($0) }
        let theirs = try HuggingFaceFixtures.libraryIds(model, texts)
        let differing = zip(ours, theirs).filter { $0.0 != $0.1 }.count
        #expect(theirs.count == ours.count && differing == 0, "\(differing) of \(ours.count) documents differ")
    }

    /// The manifest's EOS is part of the build's signature: a build interrupted with one EOS is not
    /// resumed with another (its first rows would end documents with the old one).
    @Test func theManifestsEOSSignsTheBuild() throws {
        let dir = try TestSupport.tempDir("hf-eos-signature")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Self.manifest(in: dir, model: try HuggingFaceFixtures.path("gpt2"))
        let original = try String(contentsOfFile: manifest, encoding: .utf8)
        let causal = try ModelSentinelFixtures.mixture(in: dir, name: "causal.yaml", objective: "{type: causal}")
        func build(eos: String, environment: [String: String] = [:]) throws -> TestSupport.Output {
            let text = original.replacingOccurrences(of: "eos: \"<|eod|>\"", with: "eos: \"\(eos)\"")
            try text.write(toFile: manifest, atomically: true, encoding: .utf8)
            return try TestSupport.moeData(["build", manifest, "--mixture", causal], environment: environment)
        }
        let killed = try build(eos: "<|endoftext|>", environment: ["MOE_DATA_FAULT": "build.shard.committed:3"])
        #expect(killed.status != 0 && killed.stderr.contains("fault point"), "\(killed.stderr)")
        let built = try build(eos: "<|im_end|>")
        #expect(built.status == 0 && !built.stdout.contains("resumed"), "\(built.stdout)\(built.stderr)")
        let t = try Tokenizer(
            modelPath: try HuggingFaceFixtures.path("gpt2"), sentinels: 300, eos: .piece("<|im_end|>"))
        let old = try #require(t.pieceId("<|endoftext|>"))
        let inspector = try RowInspector(outputDirectory: dir.appendingPathComponent("out").path)
        var ends = 0
        var oldEnds = 0
        for n in 0..<inspector.rowCount {
            // <|endoftext|> is id 0, which padding (segment 0) holds too.
            let row = try inspector.row(n).row
            let tokens = zip(row.tokens, row.segmentIds).filter { $0.1 != 0 }.map(\.0)
            ends += tokens.filter { $0 == t.eosId }.count
            oldEnds += tokens.filter { $0 == old }.count
        }
        #expect(ends > 0 && oldEnds == 0, "\(ends) documents end with the new EOS, \(oldEnds) with the old one")
    }

    /// `tokenizer.train` makes SentencePiece models: with a tokenizer.json path it is refused.
    @Test func trainingATokenizerJSONIsRefused() throws {
        let dir = try TestSupport.tempDir("hf-train-refused")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try Self.manifest(in: dir, model: dir.appendingPathComponent("missing.json").path)
        let text = try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(
            of: "  sentinels: 300\n", with: "  sentinels: 300\n  train: {vocab_size: 1000}\n")
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
        let error = #expect(throws: MoeDataError.self) { try Manifest.load(path: manifest) }
        #expect(error?.description.contains("tokenizer.json") == true, "\(error?.description ?? "")")
    }
}
