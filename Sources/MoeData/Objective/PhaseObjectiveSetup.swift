extension ObjectiveSpec {
    /// The objective a mixture phase names, for this tokenizer. Every error names the mixture file
    /// and the key to change.
    func phaseObjective(
        phase: MixturePhase, mixtureFile: String, tokenizer: Tokenizer,
        seed: UInt64
    ) throws -> any PhaseObjective {
        switch self {
        case .causal:
            return try CausalObjective(seqLen: phase.seqLen, eosId: tokenizer.eosId)
        case .ul2(let spec):
            let keyPath = "\(mixtureFile): \(phase.keyPath).objective"
            let config = try spec.config(keyPath: keyPath)
            try phase.checkSentinels(tokenizer.sentinelCount, config: config, mixtureFile: mixtureFile)
            let modes = try spec.modeTokens.ids(
                forPrefixes: config.modePrefixes, tokenizer: tokenizer,
                keyPath: keyPath + ".mode_tokens")
            // Appended (counting down from the top) or the model's own pieces: the tokenizer knows.
            let sentinels = try (0..<tokenizer.sentinelCount).map { try tokenizer.sentinel($0) }
            let ul2: UL2Objective
            do {
                ul2 = try UL2Objective(
                    config: config, modePrefixTokens: modes, eosId: tokenizer.eosId,
                    sentinel: { sentinels[$0] }, sentinelCount: sentinels.count, seed: seed)
            } catch let e as MoeDataError {
                throw MoeDataError("\(keyPath): \(e.description)")
            }
            guard ul2.maxExampleLength <= phase.seqLen else {
                throw MoeDataError(
                    "\(mixtureFile): \(phase.keyPath).seq_len: \(phase.seqLen) is shorter than the longest UL2 example "
                        + "(\(ul2.maxExampleLength) tokens with this tokenizer's mode prefixes)")
            }
            return ul2
        }
    }
}

extension UL2Spec {
    /// The objective's configuration: the mixture's lengths and denoisers.
    func config(keyPath: String) throws -> UL2Config {
        var config = UL2Config(inputsLength: inputsLength, targetsLength: targetsLength, prefixLMLength: prefixLMLength)
        if let denoisers {
            config.denoisers = try denoisers.map { d in
                switch d.kind {
                case .span:
                    guard let mu = d.meanSpan, let r = d.noiseDensity else {
                        throw MoeDataError(
                            "\(keyPath).denoisers: '\(d.name)' (span) needs mean_span and noise_density")
                    }
                    return Denoiser(
                        name: d.name, kind: .spanCorruption(meanSpan: mu, noiseDensity: r), rate: d.rate,
                        modePrefix: d.prefix)
                case .prefixLM:
                    return Denoiser(
                        name: d.name, kind: .prefixLM(noiseDensity: d.noiseDensity ?? 0.5), rate: d.rate,
                        modePrefix: d.prefix)
                }
            }
        }
        return config
    }
}

extension MixturePhase {
    /// A UL2 phase with span denoisers replaces each noise span by a sentinel: with no sentinels
    /// (`tokenizer.sentinels: 0`) it is refused, naming the phase, before anything is written.
    func checkSentinels(_ count: Int, config: UL2Config, mixtureFile: String) throws {
        guard count == 0 else { return }
        let spans = config.denoisers.filter {
            if case .spanCorruption = $0.kind { true } else { false }
        }
        guard let first = spans.first else { return }
        throw MoeDataError(
            "\(mixtureFile): \(keyPath).objective: phase '\(name)' is UL2 with span denoisers ('\(first.name)'), "
                + "which need sentinels, but the tokenizer has none (tokenizer.sentinels: 0). Use sentinels: "
                + "\(Tokenizer.defaultSentinelCount) in the manifest (appended after the model's pieces), from_model "
                + "for a model with its own <extra_id_k> pieces, or objective: {type: causal} for this phase")
    }

    /// The same check before the tokenizer is loaded (or trained), from the manifest's `sentinels`.
    func checkSentinels(_ sentinels: SentinelSource, mixtureFile: String) throws {
        guard sentinels == .appended(0), case .ul2(let spec) = objective else { return }
        let keyPath = "\(mixtureFile): \(self.keyPath).objective"
        try checkSentinels(0, config: try spec.config(keyPath: keyPath), mixtureFile: mixtureFile)
    }
}
