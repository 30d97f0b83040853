import PackedFormat

/// The UL2 mixture of denoisers, formatted for a decoder-only model as OpenMoE trained it.
///
/// Per example: a denoiser is drawn by rate (keyed by the example's index in the stream), the
/// mixer hands over `rawLength(denoiser:)` tokens of one source, and `makeExample` returns
/// `modePrefix + inputs + EOS + targets + EOS` with the loss on the targets part.
///
/// Lengths follow T5's `random_spans_helper`, except that the mode prefix is reserved inside
/// `inputsLength` (OpenMoE prepended it after sizing, and `append_eos_after_trim` then cut the
/// last input tokens, the final sentinel included).
public struct UL2Objective: Sendable {
    /// Per-denoiser plan fixed at init: how many raw tokens, which mode tokens, the longest result.
    public struct Plan: Sendable, Equatable {
        public var denoiser: Denoiser
        public var modeTokens: [UInt32]
        /// Raw tokens per full example.
        public var rawLength: Int
        /// Longest inputs part (mode prefix + inputs + EOS) and targets part (targets + EOS).
        public var maxInputs: Int
        public var maxTargets: Int
    }

    public let config: UL2Config
    public let plans: [Plan]
    public let eosId: UInt32
    public let seed: UInt64
    /// sentinels[k] = id of sentinel k (vocabSize-1-k for T5/OpenMoE vocabularies).
    let sentinels: [UInt32]
    /// Cumulative normalised rates, for the per-example categorical draw.
    let cumulativeRates: [Double]

    static let denoiserKey = KeyedRandom.key("ul2.denoiser")
    static let corruptionKey = KeyedRandom.key("ul2.corruption")

    /// - Parameters:
    ///   - modePrefixTokens: tokenized mode prefixes keyed by the `modePrefix` string (plain-text
    ///     encoding of "[NLU] " as OpenMoE did, or a reserved id).
    ///   - sentinel: id of sentinel k, k = 0 ..< sentinelCount.
    /// - Throws: `MoeDataError` when a denoiser is invalid, a mode prefix is missing, the targets
    ///   would not fit `targetsLength`, or a full chunk needs more spans than there are sentinels.
    public init(
        config: UL2Config, modePrefixTokens: [String: [UInt32]], eosId: UInt32,
        sentinel: @Sendable (Int) -> UInt32, sentinelCount: Int, seed: UInt64
    ) throws {
        guard !config.denoisers.isEmpty else { throw MoeDataError("ul2: the denoiser list is empty") }
        guard config.inputsLength >= 3, config.targetsLength >= 2 else {
            throw MoeDataError(
                "ul2: inputs_length \(config.inputsLength) and targets_length \(config.targetsLength) are too small "
                    + "(need at least 3 and 2)")
        }
        guard sentinelCount >= 0 else { throw MoeDataError("ul2: sentinel count \(sentinelCount) is negative") }
        var names = Set<String>()
        var plans: [Plan] = []
        for d in config.denoisers {
            try d.validate()
            guard names.insert(d.name).inserted else {
                throw MoeDataError(
                    "ul2: denoiser name '\(d.name)' is used twice; names label provenance and must be unique")
            }
            guard let mode = modePrefixTokens[d.modePrefix] else {
                throw MoeDataError("ul2: denoiser '\(d.name)': no tokens given for mode prefix \"\(d.modePrefix)\"")
            }
            plans.append(try UL2Objective.plan(d, mode: mode, config: config, sentinelCount: sentinelCount))
        }
        let total = config.denoisers.reduce(0) { $0 + $1.rate }
        guard total > 0 else { throw MoeDataError("ul2: the denoiser rates sum to 0; at least one must be > 0") }
        var acc = 0.0
        cumulativeRates = config.denoisers.map {
            acc += $0.rate / total; return acc
        }
        self.config = config
        self.plans = plans
        self.eosId = eosId
        self.seed = seed
        self.sentinels = (0..<sentinelCount).map { sentinel($0) }
    }

    static func plan(_ d: Denoiser, mode: [UInt32], config: UL2Config, sentinelCount: Int) throws -> Plan {
        let room = config.inputsLength - mode.count  // inputs + EOS must fit here
        guard room >= 3 else {
            throw MoeDataError(
                "ul2: denoiser '\(d.name)': mode prefix \"\(d.modePrefix)\" is \(mode.count) tokens, "
                    + "leaving \(room) of inputs_length \(config.inputsLength) (need at least 3)")
        }
        switch d.kind {
        case .spanCorruption(let mu, let r):
            var raw = SpanCorruption.helper(inputsLength: room, noiseDensity: r, meanSpan: mu).tokensLength
            // The helper counts in Float64, the mask in Float32; where they round differently the
            // real inputs can be one token longer. Step back until the real counts fit. Lengths are
            // non-decreasing in the chunk length, so the full chunk is the worst case.
            func inputs(_ t: Int) -> Int {
                let c = SpanCorruption.counts(length: t, noiseDensity: r, meanSpan: mu)
                return t - c.noiseTokens + c.spans + 1
            }
            while raw > 1 && inputs(raw) > room { raw -= 1 }
            let c = SpanCorruption.counts(length: raw, noiseDensity: r, meanSpan: mu)
            let targets = c.noiseTokens + c.spans + 1
            guard targets <= config.targetsLength else {
                throw MoeDataError(
                    "ul2: denoiser '\(d.name)' (mean span \(mu), noise density \(r)) makes targets of \(targets) "
                        + "tokens "
                        + "from \(raw) raw tokens, more than targets_length \(config.targetsLength)")
            }
            guard c.spans <= sentinelCount else {
                throw MoeDataError(
                    "ul2: denoiser '\(d.name)' (mean span \(mu), noise density \(r)) cuts a \(raw)-token chunk into "
                        + "\(c.spans) noise spans but the vocabulary has only \(sentinelCount) sentinels; "
                        + "T5 would silently reuse ordinary token ids. Use more sentinels (tokenizer.sentinels: "
                        + "300, or a model with more <extra_id_k> pieces for from_model) or a shorter inputs_length")
            }
            return Plan(
                denoiser: d, modeTokens: mode, rawLength: raw, maxInputs: mode.count + inputs(raw),
                maxTargets: targets)
        case .prefixLM(let density):
            // T5 `split_tokens_to_inputs_length`: the chunk alone fills the inputs (minus EOS).
            let raw = config.prefixLMLength ?? (room - 1)
            guard raw >= 1, raw <= room - 1 else {
                throw MoeDataError(
                    "ul2: prefix_lm_length \(raw) must be between 1 and \(room - 1) (inputs_length "
                        + "\(config.inputsLength) "
                        + "minus EOS and the \(mode.count) tokens of mode prefix \"\(d.modePrefix)\")")
            }
            let range = PrefixLM.prefixRange(length: raw, noiseDensity: density)
            let targets = raw - range.lowerBound + 1
            guard targets <= config.targetsLength else {
                throw MoeDataError(
                    "ul2: denoiser '\(d.name)' (prefix LM, density \(density)) can make targets of \(targets) tokens, "
                        + "more than targets_length \(config.targetsLength)")
            }
            return Plan(
                denoiser: d, modeTokens: mode, rawLength: raw, maxInputs: mode.count + range.upperBound + 1,
                maxTargets: targets)
        }
    }

    /// Longest example any denoiser can produce (the packed row must be at least this long).
    public var maxExampleLength: Int { plans.map { $0.maxInputs + $0.maxTargets }.max() ?? 0 }

    /// The denoiser of example `index` of the stream: a categorical draw by rate, as
    /// `sample_from_datasets` did, but keyed by the index so it never depends on timing.
    public func denoiserIndex(forExample index: UInt64) -> Int {
        var rng = KeyedRandom(seed: seed, UL2Objective.denoiserKey, index)
        let u = rng.unit()
        for (i, c) in cumulativeRates.enumerated() where u < c && config.denoisers[i].rate > 0 { return i }
        // u < 1 == last cumulative value up to rounding; land on the last denoiser with a rate.
        return config.denoisers.lastIndex { $0.rate > 0 } ?? 0
    }

    /// Raw tokens to pull from the source stream for a full example of this denoiser.
    public func rawLength(denoiser: Int) -> Int { plans[denoiser].rawLength }

    /// The length of the example `makeExample` builds from `raw` raw tokens, without the tokens:
    /// the mode prefix, the raw tokens, a sentinel in the inputs and one in the targets per noise
    /// span (`SpanCorruption.corruptedLength`), and two EOS.
    public func exampleLength(raw: Int, denoiser: Int) throws -> Int {
        guard plans.indices.contains(denoiser) else {
            throw MoeDataError("ul2: denoiser index \(denoiser) out of range 0..<\(plans.count)")
        }
        let plan = plans[denoiser]
        guard raw >= 1, raw <= plan.rawLength else {
            throw MoeDataError(
                "ul2: a chunk of \(raw) raw tokens is outside 1...\(plan.rawLength) for denoiser "
                    + "'\(plan.denoiser.name)'")
        }
        switch plan.denoiser.kind {
        case .spanCorruption(let mu, let r):
            return plan.modeTokens.count + SpanCorruption.corruptedLength(raw, noiseDensity: r, meanSpan: mu) + 2
        case .prefixLM:
            return plan.modeTokens.count + raw + 2
        }
    }

    /// Builds the example for `raw` (at most `rawLength(denoiser:)` tokens; shorter at a phase end).
    /// The span mask or prefix split is keyed by `exampleIndex`.
    public func makeExample(
        raw: [UInt32], pieces: [RawPiece], source: String, denoiser: Int,
        exampleIndex: UInt64
    ) throws -> Example {
        guard plans.indices.contains(denoiser) else {
            throw MoeDataError("ul2: denoiser index \(denoiser) out of range 0..<\(plans.count)")
        }
        let plan = plans[denoiser]
        guard !raw.isEmpty else {
            throw MoeDataError("ul2: example \(exampleIndex) from source '\(source)' has no raw tokens")
        }
        guard raw.count <= plan.rawLength else {
            throw MoeDataError(
                "ul2: example \(exampleIndex) from source '\(source)' has \(raw.count) raw tokens, more than the "
                    + "\(plan.rawLength) of denoiser '\(plan.denoiser.name)'")
        }
        let pieceTotal = pieces.reduce(0) { $0 + $1.count }
        guard pieceTotal == raw.count else {
            throw MoeDataError(
                "ul2: example \(exampleIndex) from source '\(source)': provenance pieces cover \(pieceTotal) tokens "
                    + "but the chunk has \(raw.count)")
        }
        var rng = KeyedRandom(seed: seed, UL2Objective.corruptionKey, exampleIndex)
        var tokens = [UInt32]()
        tokens.reserveCapacity(plan.maxInputs + plan.maxTargets)
        tokens.append(contentsOf: plan.modeTokens)
        let inputsEnd: Int
        switch plan.denoiser.kind {
        case .spanCorruption(let mu, let r):
            let inputs = try SpanCorruption.corrupt(
                raw[...], noiseDensity: r, meanSpan: mu, sentinels: sentinels, using: &rng,
                inputsSuffix: eosId, targetsSuffix: eosId, into: &tokens)
            inputsEnd = plan.modeTokens.count + inputs
        case .prefixLM(let density):
            let split = PrefixLM.prefixLength(length: raw.count, noiseDensity: density, using: &rng)
            tokens.append(contentsOf: raw[..<split])
            tokens.append(eosId)
            inputsEnd = tokens.count
            tokens.append(contentsOf: raw[split...])
            tokens.append(eosId)
        }
        var loss = [UInt8](repeating: 0, count: tokens.count)
        var prefix = [UInt8](repeating: 1, count: tokens.count)
        for i in inputsEnd..<tokens.count {
            loss[i] = 1
            prefix[i] = 0
        }
        return Example(
            tokens: tokens, lossMask: loss, prefixFlags: prefix, source: source, objective: .ul2,
            denoiser: plan.denoiser.name, pieces: pieces)
    }
}
