import Foundation
import MoeData
import PackedFormat
import Testing

@Suite struct ObjectiveUL2Tests {
    /// Mode prefixes as a plain-text SentencePiece encoding would give them: 3 ids each.
    static let modes: [String: [UInt32]] = [
        "[NLU] ": [500, 501, 502], "[NLG] ": [500, 503, 502], "[S2S] ": [500, 504, 502],
    ]
    static let eos: UInt32 = 1

    static func objective(
        _ config: UL2Config = .openMoE, modes: [String: [UInt32]] = modes, seed: UInt64 = 7,
        sentinels: Int = ObjectiveTestVocab.sentinelCount
    ) throws -> UL2Objective {
        try UL2Objective(
            config: config, modePrefixTokens: modes, eosId: eos, sentinel: ObjectiveTestVocab.sentinel,
            sentinelCount: sentinels, seed: seed)
    }

    /// Splits a UL2 example into (mode, inputs without EOS, targets without EOS) using its loss mask.
    static func parts(_ e: Example, modeCount: Int) -> (mode: [UInt32], inputs: [UInt32], targets: [UInt32]) {
        let firstTarget = e.lossMask.firstIndex(of: 1) ?? e.tokens.count
        return (
            Array(e.tokens[..<modeCount]), Array(e.tokens[modeCount..<(firstTarget - 1)]),
            Array(e.tokens[firstTarget..<(e.tokens.count - 1)])
        )
    }

    @Test func openMoEDefaults() {
        let c = UL2Config.openMoE
        #expect(c.inputsLength == 1024 && c.targetsLength == 1024)
        #expect(c.denoisers.map(\.rate) == [0.1, 0.1, 0.1, 0.1, 0.1, 0.5])
        #expect(c.denoisers.map(\.modePrefix) == ["[NLU] ", "[NLU] ", "[NLG] ", "[NLG] ", "[NLG] ", "[S2S] "])
        #expect(
            c.denoisers.map(\.kind) == [
                .spanCorruption(meanSpan: 3, noiseDensity: 0.15), .spanCorruption(meanSpan: 8, noiseDensity: 0.15),
                .spanCorruption(meanSpan: 3, noiseDensity: 0.5), .spanCorruption(meanSpan: 8, noiseDensity: 0.5),
                .spanCorruption(meanSpan: 64, noiseDensity: 0.5), .prefixLM(noiseDensity: 0.5),
            ])
        #expect(c.modePrefixes == ["[NLU] ", "[NLG] ", "[S2S] "])
    }

    @Test func withoutModeTokensRawLengthsAreT5s() throws {
        let ul2 = try Self.objective(modes: ["[NLU] ": [], "[NLG] ": [], "[S2S] ": []])
        #expect((0..<6).map { ul2.rawLength(denoiser: $0) } == [1137, 1178, 1534, 1818, 2014, 1023])
        // A full chunk fills inputs_length exactly (inputs + EOS) and targets as the T5 table says.
        for (d, targets) in [(0, 229), (1, 200), (2, 1024), (3, 1024), (4, 1024)] {
            let raw = ObjectiveTestVocab.raw(ul2.rawLength(denoiser: d), seed: UInt64(d))
            let e = try ul2.makeExample(
                raw: raw, pieces: [RawPiece(docId: "a", offset: 0, count: raw.count)],
                source: "web", denoiser: d, exampleIndex: 3)
            #expect(e.lossMask.filter { $0 == 0 }.count == 1024)
            #expect(e.targetCount == targets)
        }
    }

    @Test func modePrefixIsReservedInsideTheInputs() throws {
        let ul2 = try Self.objective()
        #expect(ul2.maxExampleLength <= 2048)
        for d in 0..<6 {
            let plan = ul2.plans[d]
            #expect(plan.maxInputs <= 1024 && plan.maxTargets <= 1024)
            for i in 0..<5 {
                let raw = ObjectiveTestVocab.raw(ul2.rawLength(denoiser: d), seed: UInt64(10 * d + i))
                let e = try ul2.makeExample(
                    raw: raw, pieces: [RawPiece(docId: "a", offset: 0, count: raw.count)],
                    source: "web", denoiser: d, exampleIndex: UInt64(i))
                let inputsPart = e.lossMask.filter { $0 == 0 }.count
                #expect(inputsPart <= 1024)
                if d < 5 { #expect(inputsPart >= 1023) }  // span corruption fills the inputs (±1 from T5's r=0.5 hack)
                #expect(e.targetCount <= 1024)
                #expect(Array(e.tokens.prefix(3)) == Self.modes[ul2.config.denoisers[d].modePrefix])
                // The last input token before EOS is the final sentinel: nothing was cut off.
                if d < 5 { #expect(ObjectiveTestVocab.isSentinel(e.tokens[inputsPart - 2])) }
            }
        }
    }

    @Test func lossMaskCoversTargetsAndTheirEOS() throws {
        let ul2 = try Self.objective()
        for index in UInt64(0)..<300 {
            let d = ul2.denoiserIndex(forExample: index)
            let n = ul2.rawLength(denoiser: d) - Int(index % 7) * 50
            let raw = ObjectiveTestVocab.raw(n, seed: index)
            let e = try ul2.makeExample(
                raw: raw, pieces: [RawPiece(docId: "d", offset: 5, count: n)], source: "web",
                denoiser: d, exampleIndex: index)
            let (mode, inputs, targets) = Self.parts(e, modeCount: 3)
            #expect(mode == Self.modes[ul2.config.denoisers[d].modePrefix])
            #expect(e.tokens.count == 3 + inputs.count + 1 + targets.count + 1)
            #expect(e.targetCount == targets.count + 1)
            #expect(e.tokens.last == Self.eos && e.tokens[3 + inputs.count] == Self.eos)
            // Loss is one contiguous block at the end; the prefix flags are its complement.
            #expect(
                e.lossMask == [UInt8](repeating: 0, count: 4 + inputs.count)
                    + [UInt8](repeating: 1, count: targets.count + 1))
            #expect(zip(e.lossMask, e.prefixFlags).allSatisfy { $0 + $1 == 1 })
            #expect(e.objective == .ul2 && e.denoiser == ul2.config.denoisers[d].name && e.source == "web")
            #expect(e.pieces == [RawPiece(docId: "d", offset: 5, count: n)])
            if case .prefixLM = ul2.config.denoisers[d].kind {
                #expect(inputs + targets == raw)
            } else {
                #expect(ObjectiveTestVocab.reconstruct(inputs: inputs, targets: targets) == raw)
            }
        }
    }

    @Test func denoiserFrequenciesFollowRates() throws {
        let ul2 = try Self.objective()
        let draws = 60_000
        var counts = [Int](repeating: 0, count: 6)
        for i in 0..<draws { counts[ul2.denoiserIndex(forExample: UInt64(i))] += 1 }
        let expected = ul2.config.denoisers.map { $0.rate * Double(draws) }
        let chi = ObjectiveStats.chiSquare(observed: counts, expected: expected)
        #expect(chi < ObjectiveStats.critical999(df: 5), "chi-square \(chi), counts \(counts)")
        // A different seed gives a different sequence, the same seed the same one.
        let other = try Self.objective(seed: 8)
        let a = (0..<64).map { ul2.denoiserIndex(forExample: UInt64($0)) }
        #expect(a == (0..<64).map { ul2.denoiserIndex(forExample: UInt64($0)) })
        #expect(a != (0..<64).map { other.denoiserIndex(forExample: UInt64($0)) })
    }

    @Test func zeroRateDenoiserIsNeverPicked() throws {
        var config = UL2Config.openMoE
        config.denoisers[5].rate = 0
        let ul2 = try Self.objective(config)
        #expect((0..<5000).allSatisfy { ul2.denoiserIndex(forExample: UInt64($0)) != 5 })
    }

    @Test func prefixLMSplitIsUniformAndKeepsTheChunk() throws {
        let config = UL2Config(denoisers: [UL2Config.openMoEDenoisers[5]])
        let ul2 = try Self.objective(config)
        let raw = ObjectiveTestVocab.raw(10, seed: 1)
        var counts = [Int](repeating: 0, count: 9)  // prefix length 1 ... 9
        let draws = 18_000
        for i in 0..<draws {
            let e = try ul2.makeExample(
                raw: raw, pieces: [RawPiece(docId: "a", offset: 0, count: 10)], source: "s",
                denoiser: 0, exampleIndex: UInt64(i))
            let (_, inputs, targets) = Self.parts(e, modeCount: 3)
            #expect(inputs + targets == raw)
            try #require((1...9).contains(inputs.count))
            counts[inputs.count - 1] += 1
        }
        let chi = ObjectiveStats.chiSquare(observed: counts, expected: .init(repeating: Double(draws) / 9, count: 9))
        #expect(chi < ObjectiveStats.critical999(df: 8), "chi-square \(chi), counts \(counts)")
    }

    @Test func prefixLMLengthCanMakeHalfRowExamples() throws {
        // T5's default: 1020 raw tokens + 3 mode + 2 EOS = 1025, so two never share a 2048 row.
        let t5 = try Self.objective()
        #expect(t5.rawLength(denoiser: 5) == 1020)
        var config = UL2Config.openMoE
        config.prefixLMLength = 1019
        let half = try Self.objective(config)
        #expect(half.rawLength(denoiser: 5) == 1019 && half.rawLength(denoiser: 0) == t5.rawLength(denoiser: 0))
        var packer = try Packer(rowLength: 2048)
        var rows: [PackedRow] = []
        for i in UInt64(0)..<4 {
            let raw = ObjectiveTestVocab.raw(1019, seed: i)
            let e = try half.makeExample(
                raw: raw, pieces: [RawPiece(docId: "a", offset: 0, count: 1019)], source: "s",
                denoiser: 5, exampleIndex: i)
            #expect(e.tokens.count == 1024)
            rows += try packer.add(e)
        }
        #expect(rows.count == 2 && rows.allSatisfy { $0.padding == 0 && $0.segments.count == 2 })
        config.prefixLMLength = 1021  // 1024 - 3 mode tokens - EOS = 1020 at most
        #expect(throws: MoeDataError.self) { try Self.objective(config) }
        config.prefixLMLength = 0
        #expect(throws: MoeDataError.self) { try Self.objective(config) }
    }

    @Test func sameSeedAndIndexGiveTheSameExample() throws {
        let a = try Self.objective()
        let b = try Self.objective()
        let c = try Self.objective(seed: 99)
        let raw = ObjectiveTestVocab.raw(1500, seed: 4)
        let pieces = [RawPiece(docId: "a", offset: 0, count: 1500)]
        let ea = try a.makeExample(raw: raw, pieces: pieces, source: "s", denoiser: 2, exampleIndex: 41)
        #expect(ea == (try b.makeExample(raw: raw, pieces: pieces, source: "s", denoiser: 2, exampleIndex: 41)))
        #expect(ea != (try a.makeExample(raw: raw, pieces: pieces, source: "s", denoiser: 2, exampleIndex: 42)))
        #expect(ea != (try c.makeExample(raw: raw, pieces: pieces, source: "s", denoiser: 2, exampleIndex: 41)))
    }

    /// What a simulated build packs (`exampleLength`) is the length of the example made, for every
    /// chunk length of every denoiser, the 1-token chunk included.
    @Test func exampleLengthIsTheLengthOfTheExampleMade() throws {
        let ul2 = try Self.objective()
        for d in 0..<6 {
            for n in 1...ul2.rawLength(denoiser: d) {
                let e = try ul2.makeExample(
                    raw: ObjectiveTestVocab.raw(n, seed: UInt64(n)),
                    pieces: [RawPiece(docId: "a", offset: 0, count: n)], source: "s", denoiser: d,
                    exampleIndex: UInt64(n))
                #expect(try ul2.exampleLength(raw: n, denoiser: d) == e.tokens.count, "denoiser \(d), \(n) tokens")
            }
        }
        #expect(throws: MoeDataError.self) { try ul2.exampleLength(raw: 0, denoiser: 0) }
    }

    @Test func shortChunksShrinkInsteadOfCrashing() throws {
        let ul2 = try Self.objective()
        for d in 0..<6 {
            for n in [1, 2, 3, 4, 7, 31, ul2.rawLength(denoiser: d) - 1] {
                let raw = ObjectiveTestVocab.raw(n, seed: UInt64(n))
                let e = try ul2.makeExample(
                    raw: raw, pieces: [RawPiece(docId: "a", offset: 0, count: n)],
                    source: "s", denoiser: d, exampleIndex: UInt64(n))
                let (_, inputs, targets) = Self.parts(e, modeCount: 3)
                #expect(e.targetCount >= 1)
                if case .prefixLM = ul2.config.denoisers[d].kind {
                    #expect(inputs + targets == raw)
                } else {
                    #expect(ObjectiveTestVocab.reconstruct(inputs: inputs, targets: targets) == raw)
                }
            }
        }
    }

    @Test func badCallsAreErrors() throws {
        let ul2 = try Self.objective()
        let n = ul2.rawLength(denoiser: 0)
        let tooLong = ObjectiveTestVocab.raw(n + 1, seed: 0)
        #expect(throws: MoeDataError.self) {
            try ul2.makeExample(
                raw: tooLong, pieces: [RawPiece(docId: "a", offset: 0, count: n + 1)], source: "s",
                denoiser: 0, exampleIndex: 0)
        }
        #expect(throws: MoeDataError.self) {
            try ul2.makeExample(raw: [], pieces: [], source: "s", denoiser: 0, exampleIndex: 0)
        }
        #expect(throws: MoeDataError.self) {  // pieces do not cover the chunk
            try ul2.makeExample(
                raw: [5, 6, 7], pieces: [RawPiece(docId: "a", offset: 0, count: 2)], source: "s",
                denoiser: 0, exampleIndex: 0)
        }
        #expect(throws: MoeDataError.self) {
            try ul2.makeExample(
                raw: [5, 6, 7], pieces: [RawPiece(docId: "a", offset: 0, count: 3)], source: "s",
                denoiser: 6, exampleIndex: 0)
        }
    }

    @Test func moreSpansThanSentinelsIsAnInitError() throws {
        // T5's default 100 extra ids: X3 cuts 1534-ish tokens into ~256 spans.
        do {
            _ = try Self.objective(sentinels: 100)
            Issue.record("expected an error for 100 sentinels")
        } catch let error as MoeDataError {
            #expect(error.description.contains("'X3'") && error.description.contains("100 sentinels"))
        }
        #expect(throws: Never.self) { try Self.objective(sentinels: 256) }
    }

    @Test func invalidConfigurationsAreErrors() {
        var missing = Self.modes
        missing["[S2S] "] = nil
        #expect(throws: MoeDataError.self) { try Self.objective(modes: missing) }
        var config = UL2Config.openMoE
        config.targetsLength = 200  // R3 needs 229
        #expect(throws: MoeDataError.self) { try Self.objective(config) }
        config = .openMoE
        config.denoisers[0].kind = .spanCorruption(meanSpan: 0.5, noiseDensity: 0.15)
        #expect(throws: MoeDataError.self) { try Self.objective(config) }
        config = .openMoE
        config.denoisers[5].kind = .prefixLM(noiseDensity: 0.7)
        #expect(throws: MoeDataError.self) { try Self.objective(config) }
        config = .openMoE
        config.denoisers[1].name = "R3"
        #expect(throws: MoeDataError.self) { try Self.objective(config) }
        #expect(throws: MoeDataError.self) { try Self.objective(UL2Config(denoisers: [])) }
    }

    @Test func configDecodesFromMixtureKeys() throws {
        let json = """
            {"inputs_length": 512, "targets_length": 256, "denoisers": [
              {"name": "R", "type": "span_corruption", "mean_span": 3, "noise_density": 0.15, "rate": 1, \
              "mode_prefix": "[NLU] "},
              {"name": "S", "type": "prefix_lm", "noise_density": 0.25, "rate": 3, "mode_prefix": "[S2S] "}]}
            """
        let config = try JSONDecoder().decode(UL2Config.self, from: Data(json.utf8))
        #expect(config.inputsLength == 512 && config.targetsLength == 256)
        #expect(
            config.denoisers == [
                Denoiser(
                    name: "R", kind: .spanCorruption(meanSpan: 3, noiseDensity: 0.15), rate: 1, modePrefix: "[NLU] "),
                Denoiser(name: "S", kind: .prefixLM(noiseDensity: 0.25), rate: 3, modePrefix: "[S2S] "),
            ])
        let roundTrip = try JSONDecoder().decode(UL2Config.self, from: JSONEncoder().encode(UL2Config.openMoE))
        #expect(roundTrip == .openMoE)
        let bad = #"{"denoisers": [{"name": "Q", "type": "mask", "noise_density": 0.1, "rate": 1}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(UL2Config.self, from: Data(bad.utf8)) }
        // Defaults when only some keys are given.
        let partial = try JSONDecoder().decode(UL2Config.self, from: Data(#"{"inputs_length": 2048}"#.utf8))
        #expect(partial.denoisers == UL2Config.openMoEDenoisers && partial.targetsLength == 1024)
        #expect(partial.prefixLMLength == nil)
        let withPrefix = try JSONDecoder().decode(UL2Config.self, from: Data(#"{"prefix_lm_length": 1019}"#.utf8))
        #expect(withPrefix.prefixLMLength == 1019)
    }

    @Test func causalChunksCarryEOSAfterEachDocument() throws {
        let causal = try CausalObjective(seqLen: 4, eosId: Self.eos)
        var chunker = causal.chunker(source: "code")
        let docs: [(String, [UInt32])] = [
            ("a", [10, 11, 12, 13, 14]), ("b", [20, 21, 22]), ("c", [30, 31, 32, 33, 34, 35, 36]),
        ]
        var examples: [Example] = []
        for (id, tokens) in docs { examples += chunker.add(docId: id, tokens: tokens) }
        if let last = chunker.finish() { examples.append(last) }
        #expect(chunker.finish() == nil)
        let stream: [UInt32] = [10, 11, 12, 13, 14, 1, 20, 21, 22, 1, 30, 31, 32, 33, 34, 35, 36, 1]
        #expect(examples.flatMap(\.tokens) == stream)
        #expect(examples.map(\.tokens.count) == [4, 4, 4, 4, 2])
        #expect(examples.allSatisfy { $0.lossMask.allSatisfy { $0 == 1 } && $0.prefixFlags.allSatisfy { $0 == 0 } })
        #expect(examples.allSatisfy { $0.objective == .causal && $0.denoiser == nil && $0.source == "code" })
        #expect(
            examples.map(\.pieces) == [
                [RawPiece(docId: "a", offset: 0, count: 4)],
                [RawPiece(docId: "a", offset: 4, count: 1), RawPiece(docId: "b", offset: 0, count: 2)],
                [RawPiece(docId: "b", offset: 2, count: 1), RawPiece(docId: "c", offset: 0, count: 2)],
                [RawPiece(docId: "c", offset: 2, count: 4)],
                [RawPiece(docId: "c", offset: 6, count: 1)],
            ])
        // Pieces plus one EOS per document end account for every token.
        for e in examples {
            #expect(e.pieces.reduce(0) { $0 + $1.count } + e.tokens.filter { $0 == 1 }.count == e.tokens.count)
        }
    }

    @Test func causalDocumentPiecesGetEOSOnlyAtTheEnd() throws {
        var chunker = try CausalObjective(seqLen: 8, eosId: Self.eos).chunker(source: "web")
        #expect(chunker.add(docId: "a", tokens: [5, 6, 7][...], offset: 0, endsDocument: false).isEmpty)
        #expect(chunker.add(docId: "a", tokens: [8, 9][...], offset: 3, endsDocument: true).isEmpty)
        #expect(chunker.pendingTokens == 6 && chunker.tokensToFill == 2)
        let done = chunker.add(docId: "b", tokens: [4, 4])
        #expect(done.count == 1 && done.first?.tokens == [5, 6, 7, 8, 9, 1, 4, 4])
        #expect(chunker.finish()?.tokens == [1])  // the EOS of "b" opens the next chunk
        #expect(throws: MoeDataError.self) { try CausalObjective(seqLen: 0, eosId: 1) }
    }

    @Test func benchmarkRunsAndReportsAPositiveRate() throws {
        let r = try ObjectiveBenchmark.run(tokens: 50_000)
        #expect(r.tokensPerSecond > 0 && r.ul2TokensPerSecond > 0 && r.causalTokensPerSecond > 0)
        #expect(r.rows > 0 && r.ul2PaddingShare >= 0 && r.ul2PaddingShare < 1)
    }
}
