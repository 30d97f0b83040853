import Foundation

/// Sparse upcycling (Komatsuzaki et al. 2023; Mixtral was trained from a dense model this way): a MoE
/// model starts from a trained dense one of the same shape. Every parameter the two share is copied;
/// in each MoE layer every expert starts as a copy of the dense model's FFN of that layer, and the router
/// keeps its random initialisation. The shared FFN of a MoE layer has no dense counterpart: it keeps its
/// initial input weights and starts with a zero output projection, so at step 0 it adds nothing and the
/// upcycled model computes the dense model's function whenever the gates of each token sum to 1
/// (`--gates renormalized`) and nothing is dropped.
public enum Upcycling {
    /// What was copied, for the run's log line.
    public struct Summary: Sendable, Equatable {
        public var copiedTensors = 0
        public var expertCopies = 0
        public var routersKept = 0
        public var sharedOutputsZeroed = 0
    }

    /// The dense model's shape for a MoE shape: the same model with no MoE layer (`train --dense`).
    public static func denseShape(of config: ModelConfig) -> ModelConfig {
        var dense = config
        dense.moeEvery = 0
        if !dense.name.hasSuffix("-dense") { dense.name += "-dense" }
        return dense
    }

    /// Loads the dense checkpoint written by `moe-data train --dense` into `model`'s parameters.
    public static func apply(denseCheckpoint url: URL, to model: MoEModel<Float>) throws -> Summary {
        let (dense, _, _) = try RoutingCollector.loadModel(checkpoint: url)
        do { return try copy(from: dense, into: model) } catch let e as TrainError {
            throw TrainError("\(url.path): \(e.description)")
        }
    }

    /// Copies `dense` into `model` (see the type's comment). The two must agree on everything but the
    /// MoE layers; `dense` must have none.
    public static func copy(from dense: MoEModel<Float>, into model: MoEModel<Float>) throws -> Summary {
        let d = dense.config, m = model.config
        guard d.moeLayerCount == 0 else {
            throw TrainError("not a dense model: it has \(d.moeLayerCount) MoE layers (train it with --dense)")
        }
        let a = denseShape(of: m)
        guard
            d.vocabSize == a.vocabSize && d.dModel == a.dModel && d.layers == a.layers && d.heads == a.heads
                && d.headDim == a.headDim && d.ffnDim == a.ffnDim && d.ropeBase == a.ropeBase && d.normEps == a.normEps
        else {
            throw TrainError(
                "the dense model's shape (\(d.layers) layers, d \(d.dModel), \(d.heads)x\(d.headDim) heads, FFN "
                    + "\(d.ffnDim), vocabulary \(d.vocabSize)) is not the MoE model's (\(m.layers) layers, d "
                    + "\(m.dModel), \(m.heads)x\(m.headDim) heads, FFN \(m.ffnDim), vocabulary \(m.vocabSize))")
        }
        let source = Dictionary(uniqueKeysWithValues: dense.layout.tensors.map { ($0.name, $0) })
        var summary = Summary()
        func copy(_ from: ParameterTensor, to offset: Int) {
            (model.params.pointer + offset).update(from: dense.params.pointer + from.offset, count: from.count)
        }
        for t in model.layout.tensors {
            if let match = source[t.name], match.shape == t.shape {
                copy(match, to: t.offset)
                summary.copiedTensors += 1
            } else if let denseName = denseFFNName(forExpert: t.name), let match = source[denseName],
                match.shape == t.shape
            {
                copy(match, to: t.offset)
                summary.expertCopies += 1
            } else if t.name.hasSuffix(".moe.router") {
                summary.routersKept += 1
            } else if t.name.hasSuffix(".moe.shared.w_out") {
                (model.params.pointer + t.offset).update(repeating: 0, count: t.count)
                summary.sharedOutputsZeroed += 1
            } else if !t.name.hasSuffix(".moe.shared.w_in") {
                throw TrainError("no dense counterpart for \(t.name) \(t.shape)")
            }
        }
        return summary
    }

    /// `layers.3.moe.experts.5.w_in` → `layers.3.ffn.w_in`.
    static func denseFFNName(forExpert name: String) -> String? {
        let parts = name.split(separator: ".")
        guard parts.count == 6, parts[0] == "layers", parts[2] == "moe", parts[3] == "experts" else { return nil }
        return "layers.\(parts[1]).ffn.\(parts[5])"
    }
}
