import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeData

/// The native encoder of tokenizer.json BPE models gives the ids of Python's `tokenizers` on every
/// line of the test corpus, for each kind of tokenizer.json `HuggingFaceFixtures` trains.
@Suite(.serialized) struct HuggingFaceBPETests {
    /// Our ids equal the library's on the corpus; byte-level BPE loses nothing, so the ids decode to the text.
    func checkSameIds(_ kind: String) throws {
        let (ours, lines, tokenizer) = try HuggingFaceFixtures.checkSameIds(
            try HuggingFaceFixtures.path(kind), kind, eos: .piece("<|endoftext|>"))
        if kind == "gpt2" || kind == "llama3" {
            for (i, line) in lines.enumerated() where i % 50 == 0 { #expect(try tokenizer.decode(ours[i]) == line) }
        }
    }

    @Test func gpt2ByteLevel() throws { try checkSameIds("gpt2") }
    @Test func llama3SplitWithIgnoreMerges() throws { try checkSameIds("llama3") }
    @Test func qwen2SplitWithNFC() throws { try checkSameIds("qwen2") }
    @Test func nfkcPrefixSpaceAndAddedTokenOptions() throws { try checkSameIds("neox") }
    @Test func characterBPEWithByteFallbackAndSubwordPrefix() throws { try checkSameIds("chars") }

    @Test func eosComesFromThePostProcessorOrTheManifest() throws {
        let llama = try Tokenizer(modelPath: try HuggingFaceFixtures.path("llama3"), sentinels: 0)
        #expect(llama.piece(llama.eosId) == "<|endoftext|>")
        #expect(llama.padId == llama.eosId && llama.unkId == nil)
        let gpt2 = try HuggingFaceFixtures.path("gpt2")
        let refusal = #expect(throws: MoeDataError.self) { try Tokenizer(modelPath: gpt2, sentinels: 0) }
        let message = refusal?.description ?? ""
        #expect(message.contains("tokenizer.eos") && message.contains("<|im_end|>"), "\(message)")
        let chosen = try Tokenizer(modelPath: gpt2, sentinels: 0, eos: .piece("<|im_end|>"))
        #expect(chosen.piece(chosen.eosId) == "<|im_end|>")
        #expect(throws: MoeDataError.self) { try Tokenizer(modelPath: gpt2, sentinels: 0, eos: .piece("</s>")) }
    }

    @Test func sentinelsAreAppendedAfterTheVocabulary() throws {
        let t = try Tokenizer(modelPath: try HuggingFaceFixtures.path("llama3"), sentinels: 100)
        #expect(t.vocabSize == t.pieceCount + 100)
        #expect(try t.sentinel(0) == UInt32(t.vocabSize - 1))
        #expect(t.pieceKind(t.eosId) == .control)
        #expect(
            try t.decode([try t.encodeShort("ab"), [try t.sentinel(3)], try t.encodeShort(" c")].flatMap { $0 })
                == "ab<extra_id_3> c")
    }
}
