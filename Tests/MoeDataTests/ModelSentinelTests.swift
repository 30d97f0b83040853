import Foundation
import Testing

@testable import MoeData

/// Issue 23: a model whose pieces include `<extra_id_k>` was refused with `sentinels: 300` and with
/// `sentinels: 0` alike, and the message suggested the refused `--sentinels 0`. Now `from_model`
/// takes the model's own pieces, and 0 means none.
@Suite struct ModelSentinelTests {
    /// The message of the error `body` must throw.
    func message(_ body: () throws -> Void) -> String {
        let thrown = #expect(throws: (any Error).self) { try body() }
        return thrown.map { String(describing: $0) } ?? "no error"
    }

    @Test func fromModelTakesTheModelsOwnPiecesInT5Order() throws {
        let model = try ModelSentinelFixtures.model()
        let t = try Tokenizer(modelPath: model, sentinels: .fromModel)
        #expect(t.sentinelSource == .fromModel)
        #expect(t.sentinelCount == ModelSentinelFixtures.sentinelCount)
        #expect(t.vocabSize == t.pieceCount && t.pieceCount == 1000, "nothing is appended")
        #expect(t.paddedVocabSize == 1024)
        for k in 0..<t.sentinelCount {
            let id = try t.sentinel(k)
            #expect(Int(id) < t.pieceCount)
            #expect(t.piece(id) == Tokenizer.sentinelPiece(k))
            #expect(t.pieceId(Tokenizer.sentinelPiece(k)) == id)
            #expect(t.sentinelIndex(id) == k)
            #expect(t.pieceKind(id) == .sentinel)
        }
        #expect(message { _ = try t.sentinel(100) }.contains("out of range"))
        #expect(t.sentinelIndex(t.eosId) == nil && t.sentinelIndex(999) == nil)
        #expect(message { _ = try t.decode([5, 1000]) }.contains("id 1000 at position 1 is outside the vocabulary"))

        // A sentinel decodes to its name between the texts around it, spaces kept.
        let hello = try t.encode("hello there")
        let world = try t.encode(" world")
        let text = try t.decode(hello + [try t.sentinel(0)] + world + [try t.sentinel(99)])
        #expect(text == "hello there<extra_id_0> world<extra_id_99>", "\(text)")

        // The model's [NLU] [NLG] [S2S] pieces are the reserved mode tokens.
        for token in ModeToken.allCases {
            let ids = try ModeTokenEncoding.reserved.ids(forPrefix: token.rawValue + " ", tokenizer: t, keyPath: "k")
            #expect(ids.count == 1 && t.piece(ids[0]) == token.rawValue)
        }
    }

    @Test func appendedSentinelsOnSuchAModelAreRefusedWithAValueThatWorks() throws {
        let model = try ModelSentinelFixtures.model()
        let refused = message { _ = try Tokenizer(modelPath: model, sentinels: .appended(300)) }
        #expect(refused.contains("\(model) already has a piece <extra_id_0>"), "\(refused)")
        #expect(refused.contains("sentinels: from_model") && !refused.contains("--sentinels 0 to"), "\(refused)")
        // 0 appends nothing, so nothing collides: the model's pieces are then ordinary pieces.
        let none = try Tokenizer(modelPath: model, sentinels: .appended(0))
        #expect(none.sentinelCount == 0 && none.vocabSize == 1000)
        #expect(none.pieceKind(try #require(none.pieceId("<extra_id_0>"))) == .normal)
    }

    @Test func fromModelStatesWhatItNeeds() throws {
        let plain = TestSupport.model
        let missing = message { _ = try Tokenizer(modelPath: plain, sentinels: .fromModel) }
        #expect(missing.contains("\(plain) has no sentinel pieces") && missing.contains("sentinels: 300"), "\(missing)")

        let gap = try ModelSentinelFixtures.train(
            "gap-sentinels", symbols: ["<extra_id_0>", "<extra_id_1>", "<extra_id_3>"])
        let gapped = message { _ = try Tokenizer(modelPath: gap, sentinels: .fromModel) }
        #expect(gapped.contains("\(gap) has 3 sentinel pieces up to <extra_id_3> but no <extra_id_2>"), "\(gapped)")
        #expect(gapped.contains("sentinels: 0"), "\(gapped)")
        // Appending cannot work either; the message says what does.
        let appended = message { _ = try Tokenizer(modelPath: gap, sentinels: .appended(300)) }
        #expect(appended.contains("Use sentinels: 0") && !appended.contains("from_model"), "\(appended)")
    }

    @Test func manifestsAndOptionsSpellTheSource() throws {
        #expect(SentinelSource(parsing: "from_model") == .fromModel)
        #expect(SentinelSource(parsing: "300") == .appended(300))
        #expect(SentinelSource(parsing: "model") == nil)
        let dir = try TestSupport.tempDir("sentinel-spelling")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try ModelSentinelFixtures.model()
        let fromModel = try Manifest.load(
            path: try ModelSentinelFixtures.manifest(in: dir, model: model, sentinels: "from_model"))
        #expect(fromModel.tokenizer.sentinels == .fromModel)
        let bad = message {
            _ = try Manifest.load(path: try ModelSentinelFixtures.manifest(in: dir, model: model, sentinels: "model"))
        }
        #expect(bad.contains("tokenizer.sentinels: expected a whole number") && bad.contains("from_model"), "\(bad)")
    }
}
