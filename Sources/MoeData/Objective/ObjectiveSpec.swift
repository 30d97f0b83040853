/// A phase's objective as written in the mixture; the objective stage maps it to its own config.
public struct ObjectiveSpec: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case ul2, causal }
    public var type: Kind
    /// Scalar parameters with defaults filled in. UL2: `inputs_length` (int, 1024),
    /// `targets_length` (int, 1024), `mode_tokens` (string `text` | `reserved`, `text`).
    /// Causal LM has none.
    public var params: [String: ObjectiveParam]
    /// UL2's denoisers; `nil` means the objective's default (OpenMoE's six).
    public var denoisers: [DenoiserSpec]?

    public init(type: Kind, params: [String: ObjectiveParam] = [:], denoisers: [DenoiserSpec]? = nil) {
        self.type = type
        self.params = params
        self.denoisers = denoisers
    }

    public func int(_ key: String) -> Int? { if case .int(let v)? = params[key] { return v }; return nil }
    public func string(_ key: String) -> String? { if case .string(let v)? = params[key] { return v }; return nil }
}

public enum ObjectiveParam: Sendable, Equatable, Codable {
    case int(Int)
    case double(Double)
    case string(String)
}

/// One UL2 denoiser: a span corrupter (`span`) or the prefix-LM split (`prefix_lm`).
public struct DenoiserSpec: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case span, prefixLM = "prefix_lm" }
    public var name: String
    public var kind: Kind
    /// Relative sampling rate among denoisers.
    public var rate: Double
    /// Mode prefix prepended to the inputs, e.g. `"[NLU] "`.
    public var prefix: String
    /// Span denoisers only.
    public var meanSpan: Double?
    public var noiseDensity: Double?

    public init(name: String, kind: Kind, rate: Double, prefix: String, meanSpan: Double? = nil, noiseDensity: Double? = nil) {
        self.name = name
        self.kind = kind
        self.rate = rate
        self.prefix = prefix
        self.meanSpan = meanSpan
        self.noiseDensity = noiseDensity
    }
}
