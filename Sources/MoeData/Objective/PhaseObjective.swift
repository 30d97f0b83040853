import Foundation

/// A phase's objective, ready to turn mixed chunks into examples.
enum PhaseObjective {
    case ul2(UL2Objective)
    case causal(eosId: UInt32)

    /// Builds the objective a mixture phase names. Mode prefixes are encoded as plain text by
    /// default, as OpenMoE did; `mode_tokens: reserved` maps each to a single id, which the
    /// tokenizer must hold as a user-defined symbol.
    static func make(_ spec: ObjectiveSpec, phase: MixturePhase, mixtureFile: String, tokenizer: Tokenizer, seed: UInt64) throws -> PhaseObjective {
        switch spec.type {
        case .causal:
            return .causal(eosId: tokenizer.eosId)
        case .ul2:
            var config = UL2Config()
            if let i = spec.int("inputs_length") { config.inputsLength = i }
            if let t = spec.int("targets_length") { config.targetsLength = t }
            if let p = spec.int("prefix_lm_length") { config.prefixLMLength = p }
            if let ds = spec.denoisers {
                config.denoisers = try ds.map { d in
                    switch d.kind {
                    case .span:
                        guard let mu = d.meanSpan, let r = d.noiseDensity else {
                            throw MoeDataError("\(mixtureFile): \(phase.keyPath).objective.denoisers: '\(d.name)' (span) needs mean_span and noise_density")
                        }
                        return Denoiser(name: d.name, kind: .spanCorruption(meanSpan: mu, noiseDensity: r), rate: d.rate, modePrefix: d.prefix)
                    case .prefixLM:
                        return Denoiser(name: d.name, kind: .prefixLM(noiseDensity: d.noiseDensity ?? 0.5), rate: d.rate, modePrefix: d.prefix)
                    }
                }
            }
            let reserved = spec.string("mode_tokens") == "reserved"
            var modes: [String: [UInt32]] = [:]
            for prefix in config.modePrefixes {
                if reserved {
                    let symbol = prefix.trimmingCharacters(in: .whitespaces)
                    guard let id = tokenizer.pieceId(symbol) else {
                        throw MoeDataError("\(mixtureFile): \(phase.keyPath).objective.mode_tokens: reserved, but the tokenizer has no piece '\(symbol)'; train it with user_defined_symbols: [\(symbol)], or use mode_tokens: text")
                    }
                    modes[prefix] = [id]
                } else {
                    modes[prefix] = try tokenizer.encode(prefix)
                }
            }
            do {
                return .ul2(try UL2Objective(config: config, modePrefixTokens: modes, eosId: tokenizer.eosId,
                                             sentinel: { [vocab = tokenizer.vocabSize] k in UInt32(vocab - 1 - k) },
                                             sentinelCount: tokenizer.sentinelCount, seed: seed))
            } catch let e as MoeDataError {
                throw MoeDataError("\(mixtureFile): \(phase.keyPath).objective: \(e.description)")
            }
        }
    }
}
