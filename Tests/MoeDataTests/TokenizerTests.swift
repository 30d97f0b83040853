import Foundation
import MoeData
import Testing

@Suite("Tokenizer")
struct TokenizerTests {
    @Test func trainedModelHasTheUmT5Layout() throws {
        let t = try Tokenizer(modelPath: TokenizerFixtures.model())
        #expect(t.pieceCount == 1500)
        #expect(t.sentinelCount == 300)
        #expect(t.vocabSize == 1800)
        #expect(t.paddedVocabSize == 1920)
        #expect((t.padId, t.eosId, t.unkId) == (0, 1, 2))
        #expect(t.piece(0) == "<pad>" && t.piece(1) == "</s>" && t.piece(2) == "<unk>")
        #expect(t.pieceId("<s>") == nil, "umT5 has no bos piece")
        #expect(t.hasByteFallback)
        #expect(t.pieceKind(t.pieceId("<0x41>") ?? 0) == .byte)
        #expect(try t.sentinel(0) == 1799)
        #expect(try t.sentinel(299) == 1500)
        #expect(t.piece(1799) == "<extra_id_0>" && t.pieceId("<extra_id_299>") == 1500)
        #expect(t.piece(1800) == nil && t.pieceId("<extra_id_300>") == nil)
        #expect(t.modelHash.count == 16)
    }

    @Test func encodeDecodeRoundTripsRealTextWithByteFallback() throws {
        let t = try Tokenizer(modelPath: TokenizerFixtures.model())
        for text in try TokenizerFixtures.realLines(count: 400) {
            let ids = try t.encode(text)
            #expect(ids.allSatisfy { Int($0) < t.pieceCount })
            #expect(try t.decode(ids) == text)
        }
        // Characters no 1,500-piece English/code model has come out as byte pieces.
        let rocket = try t.encode("🚀")
        #expect(rocket.contains { t.pieceKind($0) == .byte })
        #expect(t.unkId.map(rocket.contains) == false)
        #expect(try t.encode("") == [])
    }

    @Test func batchEncodingIsOrderPreservingForAnyJobCount() throws {
        let t = try Tokenizer(modelPath: TokenizerFixtures.model())
        let lines = try TokenizerFixtures.realLines(count: 3000)
        let sequential = try lines.map { try t.encode($0) }
        for jobs in [1, 2, 3, 8] {
            #expect(try t.encodeBatch(lines, jobs: jobs) == sequential, "jobs \(jobs)")
        }
        let raw = try "naïve 🚀".utf8CString.withUnsafeBytes {
            try t.encode(utf8: UnsafeRawBufferPointer(rebasing: $0.dropLast()))
        }
        #expect(raw == (try t.encode("naïve 🚀")))
    }

    @Test func sentinelsDecodeAsExtraIdsAndKeepSpacing() throws {
        let t = try Tokenizer(modelPath: TokenizerFixtures.model())
        let text = "The quick brown fox jumps over the lazy dog."
        let ids = try t.encode(text)
        // Inserting a sentinel anywhere and removing its rendering gives back the text: the run
        // after a sentinel keeps its leading space. Only the very first id of a sequence loses
        // its dummy-prefix space, so behind a leading sentinel "▁The" reads " The".
        for i in 0...ids.count {
            let withSentinel = Array(ids[..<i]) + [try t.sentinel(0)] + Array(ids[i...])
            let decoded = try t.decode(withSentinel)
            #expect(decoded.contains("<extra_id_0>"))
            let expected = i == 0 ? " " + text : text
            #expect(decoded.replacingOccurrences(of: "<extra_id_0>", with: "") == expected, "split at \(i)")
        }
        #expect(try t.decode([try t.sentinel(5), try t.sentinel(299)]) == "<extra_id_5><extra_id_299>")
    }

    @Test func pieceLookupRoundTrips() throws {
        let t = try Tokenizer(modelPath: TokenizerFixtures.model())
        for id in UInt32(0)..<UInt32(t.vocabSize) {
            let piece = try #require(t.piece(id))
            #expect(t.pieceId(piece) == id, "\(id) \(piece)")
        }
        #expect(t.pieceId("definitely-not-a-piece-🙃") == nil)
    }

    @Test func modeTokensAreTextByDefaultAndReservedWhenTrainedSo() throws {
        let plain = try Tokenizer(modelPath: TokenizerFixtures.model())
        let asText = try ModeTokenEncoding.text.ids(forPrefix: "[NLU] ", tokenizer: plain, keyPath: "m.yaml")
        #expect(asText == (try plain.encode("[NLU] ")))
        #expect(asText.count > 1, "plain text mode tokens are several pieces")
        #expect(throws: MoeDataError.self) {
            try ModeTokenEncoding.reserved.ids(forPrefix: "[NLU] ", tokenizer: plain, keyPath: "m.yaml")
        }

        var options = TokenizerFixtures.smallOptions(vocab: 800)
        options.userDefinedSymbols = ModeToken.symbols
        let model = TokenizerFixtures.directory.appendingPathComponent("modes.model").path
        let prose = try TokenizerFixtures.prose(maxBytes: 200_000).split(separator: "\n").map(String.init)
        try lockedTrain(sentences: prose, options: options, modelPath: model)
        let reserved = try Tokenizer(modelPath: model)
        let prefixes = ModeToken.allCases.map { $0.rawValue + " " }
        let ids = try ModeTokenEncoding.reserved.ids(forPrefixes: prefixes, tokenizer: reserved, keyPath: "m.yaml")
        for token in ModeToken.allCases {
            let id = try #require(reserved.pieceId(token.rawValue))
            #expect(ids[token.rawValue + " "] == [id])
            #expect(try reserved.encode("x \(token.rawValue) y").contains(id))
        }
        #expect(Set(ids.values).count == 3)
    }
}
