import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeData

/// Unigram tokenizer.json models (Metaspace, NFC/NFKC, SentencePiece's character map) give the ids of
/// Python's `tokenizers`: models the library trained, and our SentencePiece models as `export-hf`
/// writes them (and as the converters of transformers lay out T5's).
@Suite(.serialized) struct HuggingFaceUnigramTests {
    func checkSameIds(_ path: String, _ name: String, eos: EOSChoice = .id(0)) throws {
        _ = try HuggingFaceFixtures.checkSameIds(path, name, eos: eos)
    }

    @Test func unigramWithNFKCAndMetaspace() throws {
        try checkSameIds(try HuggingFaceFixtures.path("unigram"), "unigram")
    }

    @Test func unigramWithByteFallbackNFCAndMetaspaceFirst() throws {
        try checkSameIds(try HuggingFaceFixtures.path("unigram-bytes"), "unigram-bytes")
    }

    /// Our shared model (a character map, extra spaces removed, dummy prefix, 300 sentinels as added tokens).
    @Test func ourModelAsExportHFWritesIt() throws {
        let t = try Tokenizer(modelPath: try TokenizerFixtures.model(), sentinels: 300)
        let path = TokenizerFixtures.directory.appendingPathComponent("hf-exported.json").path
        try HuggingFaceTokenizerExport.write(t, to: path)
        try checkSameIds(path, "exported", eos: .model)
        let native = try Tokenizer(modelPath: path, sentinels: 0)
        #expect(native.eosId == t.eosId && native.pieceCount == t.vocabSize)
    }

    /// A model with its own sentinels and mode tokens (nmt_nfkc), exported with them as pieces.
    @Test func aModelWithItsOwnSentinelsAsExportHFWritesIt() throws {
        let t = try Tokenizer(modelPath: try ModelSentinelFixtures.model(), sentinels: .fromModel)
        let path = TokenizerFixtures.directory.appendingPathComponent("hf-exported-own.json").path
        try HuggingFaceTokenizerExport.write(t, to: path)
        try checkSameIds(path, "exported-own")
        let native = try Tokenizer(modelPath: path, sentinels: .fromModel)
        let seventh = try t.sentinel(7)
        #expect(native.sentinelCount == 100)
        #expect(try native.sentinel(7) == seventh)
    }

    /// T5's layout as transformers converts it: the character map, runs of spaces to one, Metaspace.
    @Test func t5LayoutFromTheConverter() throws {
        let t = try Tokenizer(modelPath: try TokenizerFixtures.model(), sentinels: 100)
        guard case .object(var file) = try HuggingFaceTokenizerExport.json(for: t),
            case .object(let normalizer)? = file["normalizer"], case .array(let steps)? = normalizer["normalizers"]
        else { throw MoeDataError("unexpected export layout") }
        let precompiled = steps.filter { $0["type"]?.stringValue == "Precompiled" }
        file["normalizer"] = .object([
            "type": .string("Sequence"),
            "normalizers": .array(
                precompiled + [
                    .object([
                        "type": .string("Replace"), "pattern": .object(["Regex": .string(" {2,}")]),
                        "content": .string(" "),
                    ])
                ]),
        ])
        file["pre_tokenizer"] = .object([
            "type": .string("Metaspace"), "replacement": .string("\u{2581}"), "prepend_scheme": .string("always"),
            "split": .bool(true),
        ])
        let path = try TokenizerFixtures.write(JSONValue.object(file).encoded(), "hf-t5-layout.json")
        try checkSameIds(path, "t5-layout")
    }
}
