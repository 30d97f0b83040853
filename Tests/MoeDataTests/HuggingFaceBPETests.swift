import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeData

/// The native encoder of tokenizer.json BPE models gives the ids of Python's `tokenizers` on every
/// line of the test corpus, for each kind of tokenizer.json `HuggingFaceFixtures` trains.
@Suite(.serialized) struct HuggingFaceBPETests {
    /// Compares our ids with the library's line by line; reports the first few lines that differ.
    func checkSameIds(_ kind: String) throws {
        let path = try HuggingFaceFixtures.path(kind)
        let tokenizer = try Tokenizer(modelPath: path, sentinels: 0, eos: .piece("<|endoftext|>"))
        let lines = try HuggingFaceFixtures.corpus()
        let ours = try tokenizer.encodeBatch(lines, jobs: 2)
        let theirs = try HuggingFaceFixtures.libraryIds(path, lines)
        #expect(theirs.count == lines.count)
        var differing = 0
        for (i, line) in lines.enumerated() where i < theirs.count && ours[i] != theirs[i] {
            differing += 1
            if differing <= 5 {
                let k = zip(ours[i], theirs[i]).prefix { $0 == $1 }.count
                let excerpt = String(reflecting: String(line.prefix(80)))
                let mine = Array(ours[i][k...].prefix(8))
                let library = Array(theirs[i][k...].prefix(8))
                Issue.record(
                    "\(kind) line \(i) \(excerpt): first difference at id \(k): ours \(mine) tokenizers \(library)")
            }
        }
        #expect(differing == 0, "\(kind): \(differing) of \(lines.count) lines differ")
        // Byte-level BPE loses nothing: the ids decode to the text (NFC/NFKC-normalized where the file says).
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
