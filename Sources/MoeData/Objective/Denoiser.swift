/// One denoiser of a UL2 mixture: what it does to a raw chunk, how often it is picked, and the
/// mode prefix ("[NLU] ", "[NLG] ", "[S2S] ") put in front of its inputs.
///
/// Codable with the mixture YAML's snake_case keys:
///
///     - name: X64
///       type: span_corruption      # or prefix_lm
///       mean_span: 64
///       noise_density: 0.5
///       rate: 0.1
///       mode_prefix: "[NLG] "
public struct Denoiser: Sendable, Equatable, Codable {
    public enum Kind: Sendable, Equatable {
        /// T5 span corruption: mean noise span length μ, noise density r.
        case spanCorruption(meanSpan: Double, noiseDensity: Double)
        /// T5 `prefix_lm`: the chunk is cut at a random point; the prefix is the input, the rest the
        /// target. At density 0.5 the cut is uniform on [1, L-1]; lower densities keep longer prefixes.
        case prefixLM(noiseDensity: Double)
    }

    public var name: String
    public var kind: Kind
    /// Relative rate of picking this denoiser per example (normalised over the mixture).
    public var rate: Double
    /// Key into the tokenized mode prefixes the objective is given (the text itself, e.g. "[NLU] ").
    public var modePrefix: String

    public init(name: String, kind: Kind, rate: Double, modePrefix: String) {
        self.name = name
        self.kind = kind
        self.rate = rate
        self.modePrefix = modePrefix
    }

    enum CodingKeys: String, CodingKey {
        case name, type, rate
        case meanSpan = "mean_span"
        case noiseDensity = "noise_density"
        case modePrefix = "mode_prefix"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        rate = try c.decode(Double.self, forKey: .rate)
        modePrefix = try c.decodeIfPresent(String.self, forKey: .modePrefix) ?? ""
        let type = try c.decode(String.self, forKey: .type)
        let density = try c.decode(Double.self, forKey: .noiseDensity)
        switch type {
        case "span_corruption":
            kind = .spanCorruption(meanSpan: try c.decode(Double.self, forKey: .meanSpan), noiseDensity: density)
        case "prefix_lm":
            kind = .prefixLM(noiseDensity: density)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: c,
                debugDescription: "denoiser '\(name)': type '\(type)' is not one of span_corruption, prefix_lm")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(rate, forKey: .rate)
        try c.encode(modePrefix, forKey: .modePrefix)
        switch kind {
        case .spanCorruption(let meanSpan, let density):
            try c.encode("span_corruption", forKey: .type)
            try c.encode(meanSpan, forKey: .meanSpan)
            try c.encode(density, forKey: .noiseDensity)
        case .prefixLM(let density):
            try c.encode("prefix_lm", forKey: .type)
            try c.encode(density, forKey: .noiseDensity)
        }
    }

    /// Checks the parameters a user can get wrong; the message names the denoiser.
    public func validate() throws {
        guard rate.isFinite, rate >= 0 else {
            throw MoeDataError("denoiser '\(name)': rate \(rate) must be a finite number >= 0")
        }
        switch kind {
        case .spanCorruption(let meanSpan, let density):
            guard meanSpan.isFinite, meanSpan >= 1 else {
                throw MoeDataError("denoiser '\(name)': mean_span \(meanSpan) must be >= 1")
            }
            guard density > 0, density < 1 else {
                throw MoeDataError("denoiser '\(name)': noise_density \(density) must be in (0, 1)")
            }
        case .prefixLM(let density):
            guard density > 0, density <= 0.5 else {
                throw MoeDataError("denoiser '\(name)': prefix_lm noise_density \(density) must be in (0, 0.5]")
            }
        }
    }
}

/// The UL2 objective's configuration: the denoisers and T5's feature lengths.
/// The defaults are OpenMoE's (paper Table 2; `ul2_objective` in its T5 fork).
public struct UL2Config: Sendable, Equatable, Codable {
    public var denoisers: [Denoiser]
    /// Mode prefix + corrupted inputs + EOS fit in this many tokens.
    public var inputsLength: Int
    /// Targets + EOS fit in this many tokens.
    public var targetsLength: Int
    /// Raw tokens per prefix-LM example. nil = T5's `split_tokens_to_inputs_length`
    /// (inputs_length - 1 - mode prefix tokens). With OpenMoE's lengths such an example is
    /// 1025 tokens, so two never share a 2048 row; `inputsLength - modeTokens - 2` makes them
    /// exactly half a row (packing padding drops from about 33% to about 19% of the UL2 phase).
    public var prefixLMLength: Int?

    public init(
        denoisers: [Denoiser] = UL2Config.openMoEDenoisers, inputsLength: Int = 1024, targetsLength: Int = 1024,
        prefixLMLength: Int? = nil
    ) {
        self.denoisers = denoisers
        self.inputsLength = inputsLength
        self.targetsLength = targetsLength
        self.prefixLMLength = prefixLMLength
    }

    enum CodingKeys: String, CodingKey {
        case denoisers
        case inputsLength = "inputs_length"
        case targetsLength = "targets_length"
        case prefixLMLength = "prefix_lm_length"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        denoisers = try c.decodeIfPresent([Denoiser].self, forKey: .denoisers) ?? UL2Config.openMoEDenoisers
        inputsLength = try c.decodeIfPresent(Int.self, forKey: .inputsLength) ?? 1024
        targetsLength = try c.decodeIfPresent(Int.self, forKey: .targetsLength) ?? 1024
        prefixLMLength = try c.decodeIfPresent(Int.self, forKey: .prefixLMLength)
    }

    /// OpenMoE's mixture, used before 780B tokens: 20% R (low mask ratio) with "[NLU] ",
    /// 30% X (r = 0.5) with "[NLG] ", 50% prefix LM with "[S2S] ". UL2's (64, 0.15) X is left out.
    public static let openMoEDenoisers: [Denoiser] = [
        Denoiser(name: "R3", kind: .spanCorruption(meanSpan: 3, noiseDensity: 0.15), rate: 0.1, modePrefix: "[NLU] "),
        Denoiser(name: "R8", kind: .spanCorruption(meanSpan: 8, noiseDensity: 0.15), rate: 0.1, modePrefix: "[NLU] "),
        Denoiser(name: "X3", kind: .spanCorruption(meanSpan: 3, noiseDensity: 0.5), rate: 0.1, modePrefix: "[NLG] "),
        Denoiser(name: "X8", kind: .spanCorruption(meanSpan: 8, noiseDensity: 0.5), rate: 0.1, modePrefix: "[NLG] "),
        Denoiser(name: "X64", kind: .spanCorruption(meanSpan: 64, noiseDensity: 0.5), rate: 0.1, modePrefix: "[NLG] "),
        Denoiser(name: "S", kind: .prefixLM(noiseDensity: 0.5), rate: 0.5, modePrefix: "[S2S] "),
    ]

    public static let openMoE = UL2Config()

    /// The distinct mode prefix strings, in first-use order (what the caller must tokenize).
    public var modePrefixes: [String] {
        var seen = Set<String>()
        return denoisers.map(\.modePrefix).filter { seen.insert($0).inserted }
    }
}
