import Foundation
import MoeData
import Testing

@Suite("Tokenizer bad input")
struct TokenizerBadInputTests {
    func error(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return String(describing: error)
        }
    }

    @Test func missingEmptyAndCorruptModelsAreClearErrors() throws {
        let missing = TokenizerFixtures.directory.appendingPathComponent("nope.model").path
        #expect(error { _ = try Tokenizer(modelPath: missing) }.contains("\(missing) does not exist"))

        let empty = try TokenizerFixtures.write("", "empty.model")
        #expect(error { _ = try Tokenizer(modelPath: empty) }.contains("is empty"))

        let garbage = try TokenizerFixtures.write("this is not a protobuf \u{1}\u{2}\u{3}", "garbage.model")
        #expect(
            error { _ = try Tokenizer(modelPath: garbage) }.contains("\(garbage) is not a valid SentencePiece model"))

        let good = try Data(contentsOf: URL(fileURLWithPath: TokenizerFixtures.model()))
        let truncatedPath = TokenizerFixtures.directory.appendingPathComponent("truncated.model").path
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: truncatedPath))
        #expect(error { _ = try Tokenizer(modelPath: truncatedPath) }.contains("not a valid SentencePiece model"))

        var flipped = [UInt8](good)
        for i in stride(from: 0, to: flipped.count, by: 97) { flipped[i] ^= 0xA5 }
        let flippedPath = TokenizerFixtures.directory.appendingPathComponent("flipped.model").path
        try Data(flipped).write(to: URL(fileURLWithPath: flippedPath))
        // Corrupt throughout: flipped bytes land in wire tags and lengths, so the protobuf no longer
        // parses. It must be refused with the file named, never loaded as some other model.
        let message = error { _ = try Tokenizer(modelPath: flippedPath) }
        #expect(message.contains(flippedPath) && message.contains("not a valid SentencePiece model"), "\(message)")
    }

    @Test func modelWithoutTheUmT5SpecialIdsIsRejected() throws {
        // spm_train's own defaults: unk 0, bos 1, eos 2, no pad.
        let prose = try TokenizerFixtures.write(TokenizerFixtures.prose(maxBytes: 150_000), "default-layout.txt")
        let prefix = TokenizerFixtures.directory.appendingPathComponent("default-layout").path
        let r = try TokenizerFixtures.run(
            "/usr/bin/spm_train",
            ["--input=\(prose)", "--model_prefix=\(prefix)", "--vocab_size=500", "--minloglevel=2"])
        #expect(r.status == 0, "\(r.err)")
        #expect(error { _ = try Tokenizer(modelPath: prefix + ".model") }.contains("has no pad piece"))
    }

    @Test func sentinelCountsThatCollideAreRejected() throws {
        let model = try TokenizerFixtures.model()
        #expect(error { _ = try Tokenizer(modelPath: model, sentinelCount: -1) }.contains("negative"))
        #expect(error { _ = try Tokenizer(modelPath: model, sentinelCount: 1501) }.contains("exceeds its 1500 pieces"))
        #expect(try Tokenizer(modelPath: model, sentinelCount: 0).vocabSize == 1500)

        // A model that already spells sentinels as pieces of its own.
        var options = TokenizerFixtures.smallOptions(vocab: 600)
        options.userDefinedSymbols = ["<extra_id_0>"]
        let withSentinel = TokenizerFixtures.directory.appendingPathComponent("own-sentinel.model").path
        let lines = try TokenizerFixtures.prose(maxBytes: 150_000).split(separator: "\n").map(String.init)
        try lockedTrain(sentences: lines, options: options, modelPath: withSentinel)
        let message = error { _ = try Tokenizer(modelPath: withSentinel) }
        #expect(message.contains("already has a piece <extra_id_0>"), "\(message)")

        let t = try Tokenizer(modelPath: model)
        #expect(error { _ = try t.sentinel(300) }.contains("out of range"))
        #expect(error { _ = try t.decode([5, 1800]) }.contains("id 1800 at position 1 is outside the vocabulary"))
        #expect(error { _ = try t.decode([UInt32.max]) }.contains("outside the vocabulary"))
    }

    @Test func vocabularyTooLargeForTheSampleIsAClearError() throws {
        var options = TokenizerFixtures.smallOptions(vocab: 20_000)
        options.sampleBytes = 20_000
        let model = TokenizerFixtures.directory.appendingPathComponent("too-big.model").path
        let lines = try TokenizerFixtures.prose(maxBytes: 20_000).split(separator: "\n").map(String.init)
        let message = error { try lockedTrain(sentences: lines, options: options, modelPath: model) }
        #expect(message.contains("--vocab-size 20000 is too large for the training sample"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: model))

        let emptyMessage = error { try lockedTrain(sentences: [String](), options: options, modelPath: model) }
        #expect(emptyMessage.contains("empty"), "\(emptyMessage)")
    }

    @Test func badTrainingOptionsAndInputsAreClearErrors() throws {
        var options = TokenizerTrainingOptions()
        options.vocabSize = 200
        #expect(error { try options.validate() }.contains("leaves no room"))
        options = TokenizerTrainingOptions()
        options.userDefinedSymbols = ["[A],[B]"]
        #expect(error { try options.validate() }.contains("without commas"))
        options = TokenizerTrainingOptions()
        options.characterCoverage = 1.5
        #expect(error { try options.validate() }.contains("--character-coverage"))
        options = TokenizerTrainingOptions()
        options.normalization = "nfd"
        #expect(error { try options.validate() }.contains("--normalization nfd is unknown"))

        let sampler = TrainingSampler(totalBytes: 1000, seed: 1)
        let missing = TokenizerFixtures.directory.appendingPathComponent("missing.txt").path
        #expect(
            error { _ = try sampler.sample([(TextFileSource(path: missing, format: .text), 1)]) }.contains(
                "missing.txt: cannot open: No such file or directory"))
        let jsonl = try TokenizerFixtures.write("{\"text\": \"ok\"}\n{\"body\": \"x\"}\n", "bad.jsonl")
        #expect(
            error { _ = try sampler.sample([(TextFileSource(path: jsonl, format: .jsonl), 1)]) }
                .contains("bad.jsonl:2 (byte offset 15): no 'text' field"))
        let broken = try TokenizerFixtures.write("{\"text\": \"ok\"}\n{\"text\": \n", "broken.jsonl")
        #expect(
            error { _ = try sampler.sample([(TextFileSource(path: broken, format: .jsonl), 1)]) }
                .contains("broken.jsonl:2 (byte offset 24): invalid JSON"))
        let ok = TextFileSource(path: jsonl, format: .text)
        #expect(error { _ = try sampler.sample([(ok, 0)]) }.contains("must be a positive number"))
    }

    @Test func commandLineReportsErrorsWithoutCrashing() throws {
        let binary = try TokenizerFixtures.moeDataBinary()
        let model = try TokenizerFixtures.model()
        let missing = try TokenizerFixtures.run(binary, ["tokenizer", "info", "-m", "/nonexistent/x.model"])
        #expect(missing.status == 1 && missing.err.contains("/nonexistent/x.model does not exist"), "\(missing)")
        let badIds = try TokenizerFixtures.run(binary, ["tokenizer", "decode", "-m", model], stdin: "1 2 3\n4 x 5\n")
        #expect(badIds.status == 1 && badIds.err.contains("<stdin>:2: item 1 \"x\" is not an id"), "\(badIds)")
        let outside = try TokenizerFixtures.run(binary, ["tokenizer", "decode", "-m", model, "99999"])
        #expect(outside.status == 1 && outside.err.contains("outside the vocabulary"), "\(outside)")
        let sentinels = try TokenizerFixtures.run(
            binary, ["tokenizer", "encode", "-m", model, "--sentinels", "5000", "hi"])
        #expect(sentinels.status == 1 && sentinels.err.contains("exceeds its 1500 pieces"), "\(sentinels)")
    }
}
