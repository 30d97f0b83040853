import PackedFormat

/// T5's span corruption (`t5/data/preprocessors.py`), ported so that counts match TensorFlow
/// bit for bit and the random segmentation has the same distribution.
///
/// A chunk of `L` raw tokens is split into alternating runs `keep0 noise0 keep1 noise1 ...`,
/// always starting with a kept run and ending with a noise run. The inputs keep the kept runs
/// and replace noise run k by sentinel k; the targets do the reverse:
///
///     inputs  = keep0 S0 keep1 S1 ... keep(k-1) S(k-1)
///     targets = S0 noise0 S1 noise1 ... S(k-1) noise(k-1)
///
/// We work on run lengths directly instead of materialising T5's boolean mask: the result is
/// the same and the inner loop is two `append(contentsOf:)` per span.
public enum SpanCorruption {
    /// How many tokens are noise and into how many spans they are cut, for a chunk of `length`.
    public struct Counts: Equatable, Sendable {
        public var noiseTokens: Int
        public var spans: Int

        public init(noiseTokens: Int, spans: Int) {
            self.noiseTokens = noiseTokens
            self.spans = spans
        }
    }

    /// `random_spans_noise_mask`'s counts. TF computes them in Float32 with `tf.round`
    /// (round half to even): L=190, r=0.15 is 28.500002 in Float32 and gives 29 noise tokens,
    /// where Float64 would give 28. `length` below 2 is treated as 2, as T5 does.
    public static func counts(length: Int, noiseDensity: Double, meanSpan: Double) -> Counts {
        let l = max(length, 2)
        let product = Float(l) * Float(noiseDensity)
        var noise = Int(product.rounded(.toNearestOrEven))
        noise = min(max(noise, 1), l - 1)
        let spans = max(Int((Float(noise) / Float(meanSpan)).rounded(.toNearestOrEven)), 1)
        // T5 leaves `spans > kept tokens` undefined (it cannot happen for r <= 0.5, meanSpan >= 1);
        // clamping keeps every kept run at least one token long for any valid configuration.
        return Counts(noiseTokens: noise, spans: min(spans, l - noise))
    }

    /// T5's `_random_segmentation`: `parts` positive integers summing to `total`, every one of the
    /// C(total-1, parts-1) compositions equally likely. T5 shuffles a 0/1 vector of `total-1`
    /// cut points holding `parts-1` ones; choosing that uniform subset with Floyd's algorithm
    /// gives the same distribution with `parts-1` random draws.
    public static func randomComposition(_ total: Int, parts: Int, using rng: inout KeyedRandom) -> [Int] {
        precondition(parts >= 1 && parts <= total, "composition of \(total) into \(parts) parts")
        var lengths = [Int]()
        lengths.reserveCapacity(parts)
        if parts == 1 { lengths.append(total); return lengths }
        let cutSlots = total - 1  // a cut at slot i separates item i from item i+1
        let cuts = parts - 1
        withUnsafeTemporaryAllocation(of: Bool.self, capacity: cutSlots) { marks in
            marks.initialize(repeating: false)
            for j in (cutSlots - cuts)..<cutSlots {
                let t = rng.int(in: 0...j)
                if marks[t] { marks[j] = true } else { marks[t] = true }
            }
            var run = 1
            for i in 0..<cutSlots {
                if marks[i] { lengths.append(run); run = 1 } else { run += 1 }
            }
            lengths.append(run)
        }
        return lengths
    }

    /// Lengths of the kept and noise runs for a chunk of `length` tokens (`max(length, 2)` in
    /// total, as in T5). Kept runs and noise runs are drawn from two independent compositions,
    /// kept first, from the same generator.
    public static func spanLengths(
        length: Int, noiseDensity: Double, meanSpan: Double,
        using rng: inout KeyedRandom
    ) -> (keep: [Int], noise: [Int]) {
        let c = counts(length: length, noiseDensity: noiseDensity, meanSpan: meanSpan)
        let l = max(length, 2)
        let noise = randomComposition(c.noiseTokens, parts: c.spans, using: &rng)
        let keep = randomComposition(l - c.noiseTokens, parts: c.spans, using: &rng)
        return (keep, noise)
    }

    /// T5's boolean noise mask (true = noise), cut back to `length`. For tests and inspection;
    /// `corrupt` does not build it.
    public static func noiseMask(
        length: Int, noiseDensity: Double, meanSpan: Double,
        using rng: inout KeyedRandom
    ) -> [Bool] {
        let (keep, noise) = spanLengths(length: length, noiseDensity: noiseDensity, meanSpan: meanSpan, using: &rng)
        var mask = [Bool]()
        mask.reserveCapacity(max(length, 2))
        for k in keep.indices {
            mask.append(contentsOf: repeatElement(false, count: keep[k]))
            mask.append(contentsOf: repeatElement(true, count: noise[k]))
        }
        return Array(mask.prefix(length))
    }

    /// How many tokens `corrupt` appends for a chunk of `length` tokens, suffixes left out: every
    /// raw token, and per noise span a sentinel in the inputs and one in the targets. A 1-token
    /// chunk loses its noise run and with it the inputs' sentinel.
    public static func corruptedLength(_ length: Int, noiseDensity: Double, meanSpan: Double) -> Int {
        let spans = counts(length: length, noiseDensity: noiseDensity, meanSpan: meanSpan).spans
        return length + 2 * spans - (length == 1 ? 1 : 0)
    }

    /// Corrupts `tokens` and appends `inputs` then `inputsSuffix`, then `targets` then
    /// `targetsSuffix`, to `out`. Returns the number of tokens appended for the inputs part
    /// (inputs + suffix), so the caller can place the loss mask.
    ///
    /// - Parameter sentinels: sentinel ids by span number (`sentinels[k]` = vocabSize-1-k).
    /// - Throws: `MoeDataError` when the chunk needs more spans than there are sentinels. T5
    ///   silently ran into ordinary vocabulary ids there; that would corrupt training data.
    @discardableResult
    public static func corrupt(
        _ tokens: ArraySlice<UInt32>, noiseDensity: Double, meanSpan: Double,
        sentinels: [UInt32], using rng: inout KeyedRandom,
        inputsSuffix: UInt32?, targetsSuffix: UInt32?,
        into out: inout [UInt32]
    ) throws -> Int {
        let length = tokens.count
        guard length > 0 else { throw MoeDataError("span corruption: empty chunk (needs at least 1 token)") }
        let c = counts(length: length, noiseDensity: noiseDensity, meanSpan: meanSpan)
        guard c.spans <= sentinels.count else {
            throw MoeDataError(
                "span corruption: a chunk of \(length) tokens with mean span \(meanSpan) and noise density "
                    + "\(noiseDensity) needs \(c.spans) sentinels, but the vocabulary has only \(sentinels.count); "
                    + "raise the sentinel count or lower the input length")
        }
        let (keep, noise) = spanLengths(length: length, noiseDensity: noiseDensity, meanSpan: meanSpan, using: &rng)
        let start = out.count
        let base = tokens.startIndex
        // Only a 1-token chunk is shorter than the runs (T5 builds the mask for 2 and cuts it):
        // its noise run then vanishes, so the inputs get no sentinel while the targets still
        // get S0 for the kept run, exactly as T5's two sentinel functions do on the cut mask.
        var pos = 0
        for k in keep.indices where pos < length {
            let kept = min(keep[k], length - pos)
            out.append(contentsOf: tokens[(base + pos)..<(base + pos + kept)])
            pos += kept + noise[k]
            if pos - noise[k] < length { out.append(sentinels[k]) }
        }
        if let inputsSuffix { out.append(inputsSuffix) }
        let inputsCount = out.count - start
        pos = 0
        for k in keep.indices where pos < length {
            out.append(sentinels[k])
            pos += keep[k]
            let noisy = max(0, min(noise[k], length - pos))
            out.append(contentsOf: tokens[(base + pos)..<(base + pos + noisy)])
            pos += noise[k]
        }
        if let targetsSuffix { out.append(targetsSuffix) }
        return inputsCount
    }

    /// T5's `random_spans_helper`: the raw chunk length `T` whose corrupted inputs plus EOS
    /// fill `inputsLength` exactly, and the targets length (with EOS) that results. Plain
    /// Python arithmetic in T5, so Float64 with round half to even.
    public static func helper(
        inputsLength: Int, noiseDensity: Double, meanSpan: Double,
        extraTokensPerSpanInputs: Int = 1, extraTokensPerSpanTargets: Int = 1
    )
        -> (tokensLength: Int, targetsLength: Int)
    {
        func lengths(_ t: Int) -> (inputs: Int, targets: Int) {
            let noise = Int((Double(t) * noiseDensity).rounded(.toNearestOrEven))
            let spans = Int((Double(noise) / meanSpan).rounded(.toNearestOrEven))
            return (t - noise + spans * extraTokensPerSpanInputs + 1, noise + spans * extraTokensPerSpanTargets + 1)
        }
        var t = inputsLength - 1
        while lengths(t + 1).inputs <= inputsLength { t += 1 }
        var targets = lengths(t).targets
        let inputs = lengths(t).inputs
        // T5's "minor hack": at r = 0.5 keep targets <= inputs, a round number more likely.
        if noiseDensity == 0.5 && targets > inputs {
            t -= 1
            targets -= 1
        }
        return (t, targets)
    }
}
