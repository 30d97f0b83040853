import MoeData
import PackedFormat
import Testing

/// Statistics helpers for the objective tests.
enum ObjectiveStats {
    /// Pearson's chi-square statistic of observed counts against expected counts.
    static func chiSquare(observed: [Int], expected: [Double]) -> Double {
        zip(observed, expected).reduce(0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) / $1.1 }
    }

    /// Upper 0.999 quantile of chi-square with `df` degrees of freedom (Wilson–Hilferty).
    /// The seeds are fixed, so the tests are deterministic; the bound only says how far from
    /// uniform a correct implementation may look.
    static func critical999(df: Int) -> Double {
        let k = Double(df)
        let z = 3.090
        let t = 1 - 2 / (9 * k) + z * (2 / (9 * k)).squareRoot()
        return k * t * t * t
    }
}

/// Vocabulary of the tests: 32000 pieces + 300 sentinels, sentinel k = 32299 - k.
enum ObjectiveTestVocab {
    static let pieces = 32_000
    static let sentinelCount = 300
    static let sentinels: [UInt32] = (0..<sentinelCount).map { sentinel($0) }
    @Sendable static func sentinel(_ k: Int) -> UInt32 { UInt32(pieces + sentinelCount - 1 - k) }
    static func isSentinel(_ t: UInt32) -> Bool { t >= UInt32(pieces) }

    /// Raw ids 3 ..< 32000 (never pad, EOS, UNK or a sentinel).
    static func raw(_ n: Int, seed: UInt64) -> [UInt32] {
        var rng = KeyedRandom(seed: seed, 99)
        return (0..<n).map { _ in UInt32(rng.int(in: 3...(pieces - 1))) }
    }

    /// Rebuilds the chunk from span-corrupted inputs and targets (no EOS, no mode prefix):
    /// each sentinel S_k in the inputs is replaced by the run following S_k in the targets.
    static func reconstruct(inputs: [UInt32], targets: [UInt32]) -> [UInt32] {
        var runs: [UInt32: [UInt32]] = [:]
        var current: UInt32?
        for t in targets {
            if isSentinel(t) { current = t; runs[t] = [] } else if let c = current { runs[c, default: []].append(t) }
        }
        var out: [UInt32] = []
        for t in inputs { if isSentinel(t) { out += runs[t] ?? [] } else { out.append(t) } }
        return out
    }
}

@Suite struct ObjectiveSpanCorruptionTests {
    @Test func noiseCountUsesFloat32AndHalfEven() {
        // 190 * 0.15 is 28.500002 in Float32 (29 tokens) but exactly 28.5 in Float64 (28 tokens).
        #expect(SpanCorruption.counts(length: 190, noiseDensity: 0.15, meanSpan: 3).noiseTokens == 29)
        #expect((190 * 0.15).rounded(.toNearestOrEven) == 28)
        // 5 / 2 = 2.5 rounds to 2 spans under half-even (3 under half-away-from-zero).
        #expect(SpanCorruption.counts(length: 10, noiseDensity: 0.5, meanSpan: 2) == .init(noiseTokens: 5, spans: 2))
        // Clamps: at least one noise and one kept token, at least one span; length < 2 counts as 2.
        #expect(SpanCorruption.counts(length: 3, noiseDensity: 0.01, meanSpan: 3) == .init(noiseTokens: 1, spans: 1))
        #expect(SpanCorruption.counts(length: 1, noiseDensity: 0.5, meanSpan: 3) == .init(noiseTokens: 1, spans: 1))
        #expect(
            SpanCorruption.counts(length: 1137, noiseDensity: 0.15, meanSpan: 3) == .init(noiseTokens: 171, spans: 57))
    }

    @Test func tenTokensHalfDensitySpanTwoGivesSixteenEquallyLikelyMasks() {
        var counts: [[Bool]: Int] = [:]
        let draws = 32_000
        for i in 0..<draws {
            var rng = KeyedRandom(seed: 11, UInt64(i))
            counts[SpanCorruption.noiseMask(length: 10, noiseDensity: 0.5, meanSpan: 2, using: &rng), default: 0] += 1
        }
        #expect(counts.count == 16)
        for mask in counts.keys {
            #expect(mask.count == 10 && mask.filter { $0 }.count == 5 && !mask[0] && mask[9])
        }
        let expected = [Double](repeating: Double(draws) / 16, count: counts.count)
        let chi = ObjectiveStats.chiSquare(observed: Array(counts.values), expected: expected)
        #expect(chi < ObjectiveStats.critical999(df: 15), "chi-square \(chi)")
        for c in counts.values { #expect(abs(Double(c) - 2000) < 200) }
    }

    @Test func compositionsAreUniform() {
        // 6 into 3 parts: C(5, 2) = 10 compositions.
        var counts: [[Int]: Int] = [:]
        for i in 0..<20_000 {
            var rng = KeyedRandom(seed: 3, UInt64(i))
            let c = SpanCorruption.randomComposition(6, parts: 3, using: &rng)
            #expect(c.reduce(0, +) == 6 && c.allSatisfy { $0 >= 1 })
            counts[c, default: 0] += 1
        }
        #expect(counts.count == 10)
        let chi = ObjectiveStats.chiSquare(observed: Array(counts.values), expected: .init(repeating: 2000, count: 10))
        #expect(chi < ObjectiveStats.critical999(df: 9), "chi-square \(chi)")
    }

    @Test(arguments: [(3.0, 0.15), (8.0, 0.15), (3.0, 0.5), (8.0, 0.5), (64.0, 0.5), (1.0, 0.3), (2.5, 0.7)])
    func masksAlternateStartKeptEndNoise(meanSpan: Double, density: Double) {
        for length in [2, 3, 7, 10, 64, 190, 500, 1137] {
            for i in 0..<20 {
                var rng = KeyedRandom(seed: 5, UInt64(length), UInt64(i))
                let mask = SpanCorruption.noiseMask(
                    length: length, noiseDensity: density, meanSpan: meanSpan, using: &rng)
                let c = SpanCorruption.counts(length: length, noiseDensity: density, meanSpan: meanSpan)
                #expect(mask.count == length)
                #expect(mask.first == false && mask.last == true)
                #expect(mask.filter { $0 }.count == c.noiseTokens)
                // Runs alternate kept/noise, so the number of noise runs equals the number of starts.
                var noiseRuns = 0
                var keptRuns = 0
                for p in mask.indices where p == 0 || mask[p] != mask[p - 1] {
                    if mask[p] { noiseRuns += 1 } else { keptRuns += 1 }
                }
                #expect(noiseRuns == c.spans && keptRuns == c.spans)
                if c.noiseTokens > 1 && c.noiseTokens < length - 1 {
                    #expect(abs(Double(c.noiseTokens) / Double(length) - density) <= 0.5 / Double(length) + 1e-6)
                }
            }
        }
    }

    @Test func t5SentinelVectorFromMask() throws {
        // T5 test: vocab 1000, tokens 10...15, mask [T,T,F,F,T,F] gives inputs [999,12,13,998,15].
        // Our masks always start kept, so check the equivalent shape on the shifted mask
        // [F,T,T,F,F,T]: inputs [10,999,13,14,998], targets [999,11,12,998,15].
        var rng = KeyedRandom(seed: 0)
        let tokens: [UInt32] = [10, 11, 12, 13, 14, 15]
        // Find a seed whose 6-token, 3-noise mask is [F,T,T,F,F,T].
        var found = false
        for i in 0..<2000 {
            rng = KeyedRandom(seed: 21, UInt64(i))
            var probe = rng
            let mask = SpanCorruption.noiseMask(length: 6, noiseDensity: 0.5, meanSpan: 1.5, using: &probe)
            if mask == [false, true, true, false, false, true] { found = true; break }
        }
        try #require(found)
        var out: [UInt32] = []
        let inputsCount = try SpanCorruption.corrupt(
            tokens[...], noiseDensity: 0.5, meanSpan: 1.5,
            sentinels: [999, 998, 997], using: &rng,
            inputsSuffix: nil, targetsSuffix: nil, into: &out)
        #expect(Array(out[..<inputsCount]) == [10, 999, 13, 14, 998])
        #expect(Array(out[inputsCount...]) == [999, 11, 12, 998, 15])
    }

    @Test(arguments: [(3.0, 0.15), (8.0, 0.15), (3.0, 0.5), (8.0, 0.5), (64.0, 0.5), (64.0, 0.15)])
    func sentinelsCountDownAndChunksReconstructExactly(meanSpan: Double, density: Double) throws {
        for length in [1, 2, 3, 5, 17, 100, 568, 1137, 2014] {
            for i in 0..<10 {
                let raw = ObjectiveTestVocab.raw(length, seed: UInt64(length * 100 + i))
                var rng = KeyedRandom(seed: 8, UInt64(length), UInt64(i))
                var out: [UInt32] = []
                let c = SpanCorruption.counts(length: length, noiseDensity: density, meanSpan: meanSpan)
                if c.spans > ObjectiveTestVocab.sentinelCount {
                    // (3, 0.5) on 2014 tokens needs 336 sentinels: an error, never reused ids.
                    #expect(throws: MoeDataError.self) {
                        try SpanCorruption.corrupt(
                            raw[...], noiseDensity: density, meanSpan: meanSpan,
                            sentinels: ObjectiveTestVocab.sentinels, using: &rng,
                            inputsSuffix: nil, targetsSuffix: nil, into: &out)
                    }
                    continue
                }
                let n = try SpanCorruption.corrupt(
                    raw[...], noiseDensity: density, meanSpan: meanSpan,
                    sentinels: ObjectiveTestVocab.sentinels, using: &rng,
                    inputsSuffix: nil, targetsSuffix: nil, into: &out)
                let inputs = Array(out[..<n])
                let targets = Array(out[n...])
                let inSentinels = inputs.filter(ObjectiveTestVocab.isSentinel)
                let tgtSentinels = targets.filter(ObjectiveTestVocab.isSentinel)
                if length >= 2 {
                    #expect(inSentinels == (0..<c.spans).map(ObjectiveTestVocab.sentinel))
                    #expect(tgtSentinels == inSentinels)
                    #expect(inputs.count == length - c.noiseTokens + c.spans)
                    #expect(targets.count == c.noiseTokens + c.spans)
                    #expect(inputs.last.map(ObjectiveTestVocab.isSentinel) == true)
                } else {
                    // T5 cuts the 2-token mask back to 1: no noise left, the kept run still gets S0 in the targets.
                    #expect(inputs == raw && targets == [ObjectiveTestVocab.sentinel(0)])
                }
                #expect(targets.first == ObjectiveTestVocab.sentinel(0))
                #expect(ObjectiveTestVocab.reconstruct(inputs: inputs, targets: targets) == raw)
            }
        }
    }

    @Test func tooManySpansForTheSentinelsIsAnError() {
        var rng = KeyedRandom(seed: 1)
        var out: [UInt32] = []
        let raw = ObjectiveTestVocab.raw(100, seed: 1)  // 50 noise tokens / 3 = 17 spans
        #expect(throws: MoeDataError.self) {
            try SpanCorruption.corrupt(
                raw[...], noiseDensity: 0.5, meanSpan: 3, sentinels: Array(ObjectiveTestVocab.sentinels.prefix(16)),
                using: &rng, inputsSuffix: 1, targetsSuffix: 1, into: &out)
        }
        #expect(out.isEmpty)
        #expect(throws: MoeDataError.self) {
            try SpanCorruption.corrupt(
                [][...], noiseDensity: 0.5, meanSpan: 3, sentinels: ObjectiveTestVocab.sentinels,
                using: &rng, inputsSuffix: 1, targetsSuffix: 1, into: &out)
        }
    }

    @Test func randomSpansHelperMatchesT5Vectors() {
        #expect(SpanCorruption.helper(inputsLength: 64, noiseDensity: 0.2, meanSpan: 2) == (70, 22))
        #expect(SpanCorruption.helper(inputsLength: 64, noiseDensity: 0.2, meanSpan: 1) == (63, 27))
        #expect(SpanCorruption.helper(inputsLength: 512, noiseDensity: 0.15, meanSpan: 3) == (568, 114))
    }

    /// The reference table: (μ, r) → inputs_length 512: (T, tgtLen, spans); 1024: (T, tgtLen, nNoise, spans).
    @Test(arguments: [
        (3.0, 0.15, 568, 114, 28, 1137, 229, 171, 57),
        (8.0, 0.15, 588, 100, 11, 1178, 200, 177, 22),
        (3.0, 0.50, 766, 512, 128, 1534, 1024, 767, 256),
        (8.0, 0.50, 908, 512, 57, 1818, 1024, 909, 114),
        (64.0, 0.15, 600, 92, 1, 1200, 184, 180, 3),
        (64.0, 0.50, 1006, 512, 8, 2014, 1024, 1007, 16),
    ])
    func randomSpansHelperTable(
        mu: Double, r: Double, t512: Int, tgt512: Int, spans512: Int,
        t1024: Int, tgt1024: Int, noise1024: Int, spans1024: Int
    ) {
        let a = SpanCorruption.helper(inputsLength: 512, noiseDensity: r, meanSpan: mu)
        #expect(a.tokensLength == t512 && a.targetsLength == tgt512)
        #expect(SpanCorruption.counts(length: t512, noiseDensity: r, meanSpan: mu).spans == spans512)
        let b = SpanCorruption.helper(inputsLength: 1024, noiseDensity: r, meanSpan: mu)
        #expect(b.tokensLength == t1024 && b.targetsLength == tgt1024)
        let c = SpanCorruption.counts(length: t1024, noiseDensity: r, meanSpan: mu)
        #expect(c == .init(noiseTokens: noise1024, spans: spans1024))
        // Inputs without EOS are exactly inputs_length - 1 for a full chunk.
        #expect(t1024 - c.noiseTokens + c.spans == 1023)
    }

    @Test func prefixRangeIsOneToLengthMinusOneAtHalfDensity() {
        #expect(PrefixLM.prefixRange(length: 10, noiseDensity: 0.5) == 1...9)
        #expect(PrefixLM.prefixRange(length: 2, noiseDensity: 0.5) == 1...1)
        #expect(PrefixLM.prefixRange(length: 1, noiseDensity: 0.5) == 0...0)
        // d = 0.25: at least half of L-1 is prefix.
        #expect(PrefixLM.prefixRange(length: 101, noiseDensity: 0.25) == 50...100)
    }
}
