/// The shape of the model: everything that decides which parameters exist.
public struct ModelConfig: Sendable, Equatable, Codable {
    public var name: String
    public var vocabSize: Int
    public var dModel: Int
    public var layers: Int
    public var heads: Int
    public var headDim: Int
    /// Hidden width of every SwiGLU FFN: the dense ones, each expert, and the shared FFN.
    public var ffnDim: Int
    public var experts: Int
    public var topK: Int
    /// Layer i (0-based) is MoE when `i % moeEvery == moeEvery − 1` (flaxformer's MIXED layout, OpenMoE);
    /// 0 means no MoE layer.
    public var moeEvery: Int
    /// One always-active dense SwiGLU FFN in each MoE layer, added to the experts' output (OpenMoE's
    /// "residual MoE", paper eq. 4: x ← x + MoE(n(x)) + FFN(n(x))).
    public var sharedExpert: Bool
    public var ropeBase: Double
    public var normEps: Double

    public init(
        name: String, vocabSize: Int, dModel: Int, layers: Int, heads: Int, headDim: Int, ffnDim: Int,
        experts: Int, topK: Int = 2, moeEvery: Int, sharedExpert: Bool = true,
        ropeBase: Double = 10_000, normEps: Double = 1e-6
    ) {
        self.name = name
        self.vocabSize = vocabSize
        self.dModel = dModel
        self.layers = layers
        self.heads = heads
        self.headDim = headDim
        self.ffnDim = ffnDim
        self.experts = experts
        self.topK = topK
        self.moeEvery = moeEvery
        self.sharedExpert = sharedExpert
        self.ropeBase = ropeBase
        self.normEps = normEps
    }

    /// Width of the attention's inner space (heads × head size); OpenMoE-8B has 24×128 = 3072 over d = 2048.
    public var attnDim: Int { heads * headDim }

    public func isMoE(layer i: Int) -> Bool { moeEvery > 0 && experts > 0 && i % moeEvery == moeEvery - 1 }
    public var moeLayerCount: Int { (0..<layers).filter(isMoE).count }

    /// Checks the shape makes sense; the message names the field.
    public func validate() throws {
        func need(_ ok: Bool, _ what: String) throws { if !ok { throw TrainError("model config '\(name)': \(what)") } }
        try need(vocabSize > 0, "vocab_size must be positive, got \(vocabSize)")
        try need(
            dModel > 0 && layers > 0 && heads > 0 && ffnDim > 0, "d_model, layers, heads and ffn_dim must be positive")
        try need(headDim > 0 && headDim % 2 == 0, "head_dim must be even for rotary positions, got \(headDim)")
        try need(moeEvery >= 0, "moe_every must be ≥ 0, got \(moeEvery)")
        // Upper bounds keep every size product far from overflow (a saved config is read from a file).
        try need(vocabSize <= 1 << 24, "vocab_size \(vocabSize) is more than \(1 << 24)")
        try need(
            dModel <= 1 << 16 && headDim <= 1 << 12 && ffnDim <= 1 << 18,
            "d_model (\(dModel)), head_dim (\(headDim)) or ffn_dim (\(ffnDim)) is beyond 65536, 4096 or 262144")
        try need(
            layers <= 1024 && heads <= 1024 && experts <= 4096 && moeEvery <= 1024,
            "layers (\(layers)), heads (\(heads)), moe_every (\(moeEvery)) or experts (\(experts)) "
                + "is beyond 1024 or 4096")
        try need(experts >= 0 && topK >= 0, "experts and top_k must be ≥ 0")
        try need(
            ropeBase.isFinite && ropeBase > 1 && normEps.isFinite && normEps > 0 && normEps < 1,
            "rope_base (\(ropeBase)) must be finite and > 1, norm_eps (\(normEps)) in (0, 1)")
        if moeLayerCount > 0 {
            try need(topK >= 1 && topK <= experts, "top_k must be in 1...experts (\(experts)), got \(topK)")
        }
    }

    // MARK: Presets

    /// Learns visibly in minutes on 2 cores: 4 layers, d = 128, 8 experts top-2 in layers 1 and 3.
    /// The vocabulary comes from the packed data (`padded_vocab_size` in `moe-data.json`).
    public static func tiny(vocabSize: Int) -> ModelConfig {
        ModelConfig(
            name: "tiny", vocabSize: vocabSize, dModel: 128, layers: 4, heads: 4, headDim: 32,
            ffnDim: 256, experts: 8, topK: 2, moeEvery: 2)
    }

    /// A larger shape for the benchmark: 8 layers, d = 256, 4×64 heads, 8 experts in every 2nd layer.
    public static func small(vocabSize: Int) -> ModelConfig {
        ModelConfig(
            name: "small", vocabSize: vocabSize, dModel: 256, layers: 8, heads: 4, headDim: 64,
            ffnDim: 512, experts: 8, topK: 2, moeEvery: 2)
    }

    /// OpenMoE shapes (paper Table 11; FFN 2048 for Base as in the released flaxformer/ColossalAI config,
    /// the paper's table says 3072), umT5 vocabulary 256,384 (256,300 ids rounded up to 128).
    public static let openMoEVocab = 256_384
    public static let openMoEBase = ModelConfig(
        name: "openmoe-base", vocabSize: openMoEVocab, dModel: 768, layers: 12,
        heads: 12, headDim: 64, ffnDim: 2048, experts: 16, topK: 2, moeEvery: 4)
    public static let openMoE8B = ModelConfig(
        name: "openmoe-8b", vocabSize: openMoEVocab, dModel: 2048, layers: 24,
        heads: 24, headDim: 128, ffnDim: 8192, experts: 32, topK: 2, moeEvery: 6)
    public static let openMoE34B = ModelConfig(
        name: "openmoe-34b", vocabSize: openMoEVocab, dModel: 3072, layers: 32,
        heads: 24, headDim: 128, ffnDim: 12288, experts: 32, topK: 2, moeEvery: 4)

    public static let presetNames = ["tiny", "small", "openmoe-base", "openmoe-8b", "openmoe-34b"]

    /// A preset by name; `dataVocab` sizes the small presets' embedding (OpenMoE shapes keep umT5's).
    public static func preset(_ name: String, dataVocab: Int) throws -> ModelConfig {
        switch name {
        case "tiny": return tiny(vocabSize: dataVocab)
        case "small": return small(vocabSize: dataVocab)
        case "openmoe-base": return openMoEBase
        case "openmoe-8b": return openMoE8B
        case "openmoe-34b": return openMoE34B
        default: throw TrainError("unknown config '\(name)'; known: \(presetNames.joined(separator: ", "))")
        }
    }
}
