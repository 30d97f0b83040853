import Foundation
import JSON

/// Checks of a run configuration beyond the command line's: a configuration also comes back from a
/// checkpoint's metadata, which may be damaged or written by hand, so every number that sizes an
/// allocation is bounded here and every real number must be finite. Values that are only unwise (a
/// learning rate of 1e30, which diverges) are left to the command line's bounds.
extension TrainConfig {
    func validateRanges() throws {
        func need(_ ok: Bool, _ what: String) throws { if !ok { throw TrainError("run config: \(what)") } }
        let count = 1 << 40
        try need(
            batchRows <= 1 << 20 && accumulation <= 1 << 20,
            "batch_rows \(batchRows) or accumulation \(accumulation) beyond 2^20")
        try need(
            schedule.totalSteps <= count && schedule.warmup >= 0 && schedule.warmup <= count,
            "steps \(schedule.totalSteps) or warmup \(schedule.warmup) out of range")
        try need(
            schedule.minRatio.isFinite && schedule.minRatio >= 0 && schedule.minRatio <= 1,
            "min_ratio must be in [0, 1]")
        try need(checkpointEvery >= 1 && checkpointEvery <= count, "checkpoint_every \(checkpointEvery) out of range")
        try need(
            evalRows >= 0 && evalRows <= count && evalEvery >= 0 && evalEvery <= count,
            "eval_rows or eval_every out of range")
        try need(initStd.isFinite && initStd > 0 && initStd < 10, "init_std \(initStd) must be in (0, 10)")
        let o = optimizer
        try need([o.beta1, o.beta2].allSatisfy { $0.isFinite && $0 >= 0 && $0 < 1 }, "AdamW betas must be in [0, 1)")
        try need(o.eps.isFinite && o.eps > 0 && o.eps < 1, "AdamW eps \(o.eps) must be in (0, 1)")
        try need(
            o.weightDecay.isFinite && o.weightDecay >= 0,
            "weight decay \(o.weightDecay) must be a finite number ≥ 0")
        try need(o.clipNorm.isFinite && o.clipNorm >= 0, "clip \(o.clipNorm) must be a finite number ≥ 0")
        try need(
            moe.capacityFactorTrain.isFinite && moe.capacityFactorEval.isFinite
                && moe.capacityFactorTrain <= 100 && moe.capacityFactorEval <= 100,
            "capacity factors must be at most 100")
        try need(
            moe.minCapacity <= 1 << 20 && moe.groupSize >= 0 && moe.groupSize <= 1 << 24,
            "min_capacity or group_size out of range")
        for (name, w) in [
            ("aux_loss", moe.auxLossWeight), ("router_z_loss", moe.routerZLossWeight),
            ("output_z_loss", moe.outputZLossWeight),
        ] {
            try need(w.isFinite && w >= 0, "\(name) weight \(w) must be a finite number ≥ 0")
        }
    }

    /// The fields (dotted JSON paths) whose values differ between two configurations, for a refused resume.
    public func differences(from other: TrainConfig) -> [String] {
        guard let a = try? JSONValue.parse(Data(json().utf8)),
            let b = try? JSONValue.parse(Data(other.json().utf8))
        else {
            return ["(configuration)"]
        }
        var out: [String] = []
        func walk(_ x: JSONValue?, _ y: JSONValue?, _ path: String) {
            if let xo = x?.objectValue, let yo = y?.objectValue {
                for key in Set(xo.keys).union(yo.keys).sorted() {
                    walk(xo[key], yo[key], path.isEmpty ? key : path + "." + key)
                }
            } else if x != y {
                out.append("\(path): \(x?.encoded() ?? "absent") here, \(y?.encoded() ?? "absent") in the checkpoint")
            }
        }
        walk(a, b, "")
        return out
    }

    /// A coarse lower estimate of the memory a run takes: parameters, gradients and both AdamW moments
    /// (4 copies), plus per token of a micro-batch the activations kept for the backward pass.
    public func estimatedBytes(seqLen: Int) -> Double {
        let m = model
        let ffns = max(1, m.topK + (m.sharedExpert ? 1 : 0))
        let perTokenLayer = Double(8 * m.dModel + 2 * m.attnDim + 3 * m.ffnDim * ffns)
        let perToken = Double(m.layers) * perTokenLayer + Double(m.vocabSize)
        return 4 * (4 * Double(ParameterLayout(m).total) + Double(batchRows) * Double(seqLen) * perToken)
    }
}
