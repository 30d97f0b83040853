/// One named parameter tensor inside the flat parameter buffer (llm.c's layout: one allocation each for
/// parameters, gradients and the two Adam moments, all indexed by the same offsets).
public struct ParameterTensor: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
    /// Matrices get weight decay; norm gains do not.
    public var decays: Bool { shape.count == 2 }
}

/// Offsets of one SwiGLU FFN: `wIn` is [2·ffn, d] (gate rows, then up rows), `wOut` is [d, ffn].
public struct FFNOffsets: Sendable, Equatable {
    public let wIn: Int
    public let wOut: Int
}

public struct LayerOffsets: Sendable, Equatable {
    public let attnNorm: Int
    /// [3·A, d]: query rows, key rows, value rows (A = heads × head size).
    public let wqkv: Int
    /// [d, A].
    public let wo: Int
    public let ffnNorm: Int
    /// The dense FFN of a dense layer, or the shared FFN of a MoE layer (when the config has one).
    public let ffn: FFNOffsets?
    /// [E, d] for a MoE layer.
    public let router: Int?
    public let experts: [FFNOffsets]
    public var isMoE: Bool { router != nil }
}

/// Where every parameter lives, computed from the config alone (no allocation, so `--dry-run` can count
/// a 34B model).
public struct ParameterLayout: Sendable {
    public let config: ModelConfig
    public private(set) var tensors: [ParameterTensor] = []
    public private(set) var embed = 0
    public private(set) var finalNorm = 0
    public private(set) var head = 0
    public private(set) var layers: [LayerOffsets] = []
    public private(set) var total = 0

    public init(_ c: ModelConfig) {
        config = c
        let d = c.dModel, a = c.attnDim, f = c.ffnDim
        embed = add("embed.weight", [c.vocabSize, d])
        for i in 0..<c.layers {
            let p = "layers.\(i)."
            let attnNorm = add(p + "attn_norm.weight", [d])
            let wqkv = add(p + "attn.wqkv", [3 * a, d])
            let wo = add(p + "attn.wo", [d, a])
            let ffnNorm = add(p + "ffn_norm.weight", [d])
            if c.isMoE(layer: i) {
                let router = add(p + "moe.router", [c.experts, d])
                var experts: [FFNOffsets] = []
                for e in 0..<c.experts {
                    experts.append(
                        FFNOffsets(
                            wIn: add(p + "moe.experts.\(e).w_in", [2 * f, d]),
                            wOut: add(p + "moe.experts.\(e).w_out", [d, f])))
                }
                var shared: FFNOffsets?
                if c.sharedExpert {
                    shared = FFNOffsets(
                        wIn: add(p + "moe.shared.w_in", [2 * f, d]), wOut: add(p + "moe.shared.w_out", [d, f]))
                }
                layers.append(
                    LayerOffsets(
                        attnNorm: attnNorm, wqkv: wqkv, wo: wo, ffnNorm: ffnNorm, ffn: shared,
                        router: router, experts: experts))
            } else {
                let ffn = FFNOffsets(wIn: add(p + "ffn.w_in", [2 * f, d]), wOut: add(p + "ffn.w_out", [d, f]))
                layers.append(
                    LayerOffsets(
                        attnNorm: attnNorm, wqkv: wqkv, wo: wo, ffnNorm: ffnNorm, ffn: ffn,
                        router: nil, experts: []))
            }
        }
        finalNorm = add("final_norm.weight", [d])
        head = add("lm_head.weight", [c.vocabSize, d])
    }

    private mutating func add(_ name: String, _ shape: [Int]) -> Int {
        let t = ParameterTensor(name: name, shape: shape, offset: total)
        tensors.append(t)
        total += t.count
        return t.offset
    }

    /// Parameters one expert holds.
    public var expertSize: Int { 3 * config.dModel * config.ffnDim }
    /// Parameters a token passes through: all but the (E − k) unchosen experts of each MoE layer.
    public var activated: Int { total - config.moeLayerCount * (config.experts - config.topK) * expertSize }
    public var embeddingSize: Int { config.vocabSize * config.dModel }
}
