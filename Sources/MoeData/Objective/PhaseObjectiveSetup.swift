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
            let modes = try spec.modeTokens.ids(
                forPrefixes: config.modePrefixes, tokenizer: tokenizer,
                keyPath: keyPath + ".mode_tokens")
            let ul2: UL2Objective
            do {
                ul2 = try UL2Objective(
                    config: config, modePrefixTokens: modes, eosId: tokenizer.eosId,
                    sentinel: { [vocab = tokenizer.vocabSize] k in UInt32(vocab - 1 - k) },
                    sentinelCount: tokenizer.sentinelCount, seed: seed)
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
