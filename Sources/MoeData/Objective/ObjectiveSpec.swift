/// A phase's objective as written in the mixture, defaults filled in. The build turns it into a
/// `PhaseObjective` once the tokenizer is known (`phaseObjective(phase:mixtureFile:tokenizer:seed:)`).
public enum ObjectiveSpec: Sendable, Equatable {
    case ul2(UL2Spec)
    case causal

    public var type: ObjectiveKind {
        switch self {
        case .ul2: .ul2
        case .causal: .causal
        }
    }
}

/// UL2's parameters as a mixture phase writes them (`objective: {type: ul2, ...}`).
public struct UL2Spec: Sendable, Equatable {
    /// `inputs_length`: mode prefix + corrupted inputs + EOS fit in this many tokens.
    public var inputsLength: Int
    /// `targets_length`: targets + EOS fit in this many tokens.
    public var targetsLength: Int
    /// `prefix_lm_length`: raw tokens per prefix-LM example; nil leaves it to `UL2Config`.
    public var prefixLMLength: Int?
    /// `mode_tokens`: how the mode prefixes become token ids.
    public var modeTokens: ModeTokenEncoding
    /// `denoisers`; nil means the objective's default (OpenMoE's six).
    public var denoisers: [DenoiserSpec]?

    public init(
        inputsLength: Int = 1024, targetsLength: Int = 1024, prefixLMLength: Int? = nil,
        modeTokens: ModeTokenEncoding = .text, denoisers: [DenoiserSpec]? = nil
    ) {
        self.inputsLength = inputsLength
        self.targetsLength = targetsLength
        self.prefixLMLength = prefixLMLength
        self.modeTokens = modeTokens
        self.denoisers = denoisers
    }
}

/// One UL2 denoiser: a span corrupter (`span`) or the prefix-LM split (`prefix_lm`).
public struct DenoiserSpec: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case span, prefixLM = "prefix_lm" }
    public var name: String
    public var kind: Kind
    /// Relative sampling rate among denoisers.
    public var rate: Double
    /// Mode prefix prepended to the inputs, e.g. `"[NLU] "`.
    public var prefix: String
    /// Span denoisers only.
    public var meanSpan: Double?
    public var noiseDensity: Double?

    public init(
        name: String, kind: Kind, rate: Double, prefix: String, meanSpan: Double? = nil,
        noiseDensity: Double? = nil
    ) {
        self.name = name
        self.kind = kind
        self.rate = rate
        self.prefix = prefix
        self.meanSpan = meanSpan
        self.noiseDensity = noiseDensity
    }
}
