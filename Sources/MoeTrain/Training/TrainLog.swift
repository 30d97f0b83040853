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
        let loads = expertLoad.map { l in String(format: "%.2f-%.2f", l.min() ?? 0, l.max() ?? 0) }.joined(separator: ",")
        let drops = droppedFraction.map { String(format: "%.1f%%", $0 * 100) }.joined(separator: ",")
        return String(format: "step %5d | loss %.4f (ce %.4f aux %.3f rz %.3f oz %.2f) | lr %.2e | gn %.2f | %6.0f tok/s",
                      step, loss, crossEntropy, auxLoss, routerZLoss, outputZLoss, learningRate, gradNorm, tokensPerSecond)
            + " | load " + loads + " | dropped " + drops
            + (evalCrossEntropy.map { String(format: " | eval ce %.4f", $0) } ?? "")
    }
}

/// The loss curve as a self-contained SVG (cross-entropy per step, with the axes labelled).
public enum LossPlot {
    public static func svg(steps: [Int], losses: [Double], title: String) -> String {
        let w = 720.0, h = 420.0, left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
        guard let lo = losses.min(), let hi = losses.max(), let s0 = steps.first, let s1 = steps.last else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\"></svg>\n"
        }
        let ySpan = max(hi - lo, 1e-9), xSpan = Double(max(s1 - s0, 1))
        func x(_ s: Int) -> Double { left + (Double(s - s0) / xSpan) * (w - left - right) }
        func y(_ v: Double) -> Double { top + (1 - (v - lo) / ySpan) * (h - top - bottom) }
        var points = "", smoothPoints = ""
        for (s, v) in zip(steps, losses) { points += String(format: "%.1f,%.1f ", x(s), y(v)) }
        // A trailing moving average: single-row batches make the raw curve noisy.
        let window = max(1, losses.count / 25)
        var running = 0.0
        for (i, v) in losses.enumerated() {
            running += v
            if i >= window { running -= losses[i - window] }
            smoothPoints += String(format: "%.1f,%.1f ", x(steps[i]), y(running / Double(min(i + 1, window))))
        }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(Int(w / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(title)</text>\n"
        out += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", left, h - bottom, w - right, h - bottom)
        out += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", left, top, left, h - bottom)
        for k in 0...4 {
            let v = lo + ySpan * Double(k) / 4
            out += String(format: "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>\n", left - 6, y(v) + 4, v)
            let s = s0 + Int((xSpan * Double(k) / 4).rounded())
            out += String(format: "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%d</text>\n", x(s), h - bottom + 18, s)
        }
        out += "<text x=\"\(Int(w / 2))\" y=\"\(Int(h - 10))\" text-anchor=\"middle\">step</text>\n"
        out += "<text x=\"16\" y=\"\(Int(h / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(Int(h / 2)))\">cross-entropy</text>\n"
        out += "<polyline fill=\"none\" stroke=\"#9ecae1\" stroke-width=\"1\" points=\"\(points)\"/>\n"
        out += "<polyline fill=\"none\" stroke=\"#08519c\" stroke-width=\"2\" points=\"\(smoothPoints)\"/>\n"
        out += String(format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" fill=\"#08519c\">mean of %d steps</text>\n",
                      w - right, top + 4, window)
        out += "</svg>\n"
        return out
    }
}
