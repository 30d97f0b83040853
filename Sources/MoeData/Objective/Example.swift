import PackedFormat

/// One decoder-only training example before packing.
///
/// UL2: `tokens = modePrefix + inputs + EOS + targets + EOS`, loss on `targets + EOS`, prefix
/// flags on everything before. Causal LM: a chunk of documents with EOS after each document end,
/// loss everywhere, no prefix.
public struct Example: Sendable, Equatable {
    public var tokens: [UInt32]
    /// 1 where the token is a loss target.
    public var lossMask: [UInt8]
    /// 1 on the mode prefix and inputs (the part a prefix-LM trainer may attend bidirectionally).
    public var prefixFlags: [UInt8]
    /// Manifest source the raw tokens came from.
    public var source: String
    public var objective: ObjectiveKind
    /// Denoiser name for UL2 examples, nil for causal LM.
    public var denoiser: String?
    /// Provenance of the raw (document) tokens; sentinels, mode prefix and EOS are not listed.
    public var pieces: [RawPiece]

    public init(
        tokens: [UInt32], lossMask: [UInt8], prefixFlags: [UInt8], source: String,
        objective: ObjectiveKind, denoiser: String?, pieces: [RawPiece]
    ) {
        self.tokens = tokens
        self.lossMask = lossMask
        self.prefixFlags = prefixFlags
        self.source = source
        self.objective = objective
        self.denoiser = denoiser
        self.pieces = pieces
    }

    /// Tokens in the loss (UL2: targets + EOS).
    public var targetCount: Int { lossMask.reduce(0) { $0 + Int($1) } }
}
