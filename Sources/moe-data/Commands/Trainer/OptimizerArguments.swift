import ArgumentParser
import MoeTrain

/// `train`'s optimizer and learning-rate schedule.
struct OptimizerArguments: ParsableArguments {
    @Option(help: "Peak learning rate (default: 3e-3 for the tiny preset, else 1e-3).")
    var lr: Double?

    @Option(help: "Learning-rate schedule after warm-up (rsqrt: OpenMoE's inverse square root).")
    var schedule: LRSchedule.Kind = .rsqrt

    @Option(help: "Warm-up steps (linear ramp to the peak; 0 = none).")
    var warmup: Int = 30

    @Option(help: "AdamW weight decay on matrices (0 = off).")
    var weightDecay: Double?

    @Option(help: "Clip the global gradient norm to this value (0 = off).")
    var clip: Double?

    func validate() throws {
        try OptionCheck.double(lr, "--lr", 0...1e6, exclusiveLower: true)
        try OptionCheck.int(warmup, "--warmup", 0...OptionCheck.maxCount, "0 = no warm-up")
        try OptionCheck.double(weightDecay, "--weight-decay", 0...1)
        try OptionCheck.double(clip, "--clip", 0...1e6, "0 = off")
    }

    var settings: AdamWSettings {
        var optimizer = AdamWSettings()
        if let weightDecay { optimizer.weightDecay = weightDecay }
        if let clip { optimizer.clipNorm = clip }
        return optimizer
    }

    /// The schedule of a run of `steps` steps of the model preset `config`.
    func schedule(config: String, steps: Int) -> LRSchedule {
        LRSchedule(kind: schedule, peak: lr ?? (config == "tiny" ? 3e-3 : 1e-3), warmup: warmup, totalSteps: steps)
    }
}
