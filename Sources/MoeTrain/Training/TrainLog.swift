import Foundation
import JSON

/// One optimizer step as logged.
public struct StepRecord: Sendable, Equatable {
    public var step: Int
    public var loss: Double
    public var crossEntropy: Double
    public var auxLoss: Double
    public var routerZLoss: Double
    public var outputZLoss: Double
    public var learningRate: Double
    public var gradNorm: Double
    public var tokens: Int
    public var targets: Int
    public var tokensPerSecond: Double
    /// Per MoE layer, the share of kept assignments each expert took.
    public var expertLoad: [[Double]]
    /// Per MoE layer, the share of assignments dropped for capacity.
    public var droppedFraction: [Double]
    /// Cross-entropy on the held-out rows, on steps that evaluate.
    public var evalCrossEntropy: Double? = nil

    /// The JSONL line (canonical JSON: sorted keys).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "step": .int(Int64(step)), "loss": .double(loss), "ce": .double(crossEntropy), "aux_loss": .double(auxLoss),
            "router_z_loss": .double(routerZLoss), "output_z_loss": .double(outputZLoss), "lr": .double(learningRate),
            "grad_norm": .double(gradNorm), "tokens": .int(Int64(tokens)), "targets": .int(Int64(targets)),
            "tokens_per_s": .double(tokensPerSecond.rounded()),
            "expert_load": .array(expertLoad.map { .array($0.map { .double(($0 * 1e4).rounded() / 1e4) }) }),
            "dropped_fraction": .array(droppedFraction.map { .double(($0 * 1e4).rounded() / 1e4) }),
        ]
        if let evalCrossEntropy { object["eval_ce"] = .double(evalCrossEntropy) }
        return .object(object)
    }

    /// The terminal line.
    public var line: String {
        let loads = expertLoad.map { l in String(format: "%.2f-%.2f", l.min() ?? 0, l.max() ?? 0) }.joined(
            separator: ",")
        let drops = droppedFraction.map { String(format: "%.1f%%", $0 * 100) }.joined(separator: ",")
        return String(
            format: "step %5d | loss %.4f (ce %.4f aux %.3f rz %.3f oz %.2f) | lr %.2e | gn %.2f | %6.0f tok/s",
            step, loss, crossEntropy, auxLoss, routerZLoss, outputZLoss, learningRate, gradNorm, tokensPerSecond)
            + " | load " + loads + " | dropped " + drops
            + (evalCrossEntropy.map { String(format: " | eval ce %.4f", $0) } ?? "")
    }
}
