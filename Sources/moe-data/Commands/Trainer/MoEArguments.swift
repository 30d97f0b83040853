import ArgumentParser
import MoeTrain

/// `train`'s routing and auxiliary losses: options that do not change the parameters.
struct MoEArguments: ParsableArguments {
    @Option(help: "Expert gate weights: raw (OpenMoE) or renormalized (sum to 1 over the top-2).")
    var gates: MoEOptions.GateWeights = MoEOptions().gateWeights

    @Flag(help: "No expert capacity: no token is dropped.")
    var dropless: Bool = false

    @Option(help: "Training capacity factor (OpenMoE 1.25).")
    var capacityFactor: Double?

    @Option(help: "Evaluation capacity factor (OpenMoE 2.0).")
    var evalCapacityFactor: Double?

    @Option(help: "Minimum expert capacity (OpenMoE 4).")
    var minCapacity: Int?

    @Option(help: "Tokens per routing group (0 = the whole micro-batch; OpenMoE 4096).")
    var groupSize: Int?

    @Flag(help: "Let each packed example's prefix attend bidirectionally (prefix-LM); OpenMoE was causal.")
    var bidirectionalPrefix: Bool = false

    @Option(help: "Weight of the Switch load-balancing loss (0 = off).")
    var auxLoss: Double?

    @Option(help: "Weight of the router z-loss (OpenMoE 1e-4; 0 = off).")
    var routerZLoss: Double?

    @Option(help: "Weight of the output-logit z-loss (0 = off; OpenMoE's t5x used 1e-4).")
    var outputZLoss: Double?

    func validate() throws {
        try OptionCheck.double(capacityFactor, "--capacity-factor", 0...100, exclusiveLower: true)
        try OptionCheck.double(evalCapacityFactor, "--eval-capacity-factor", 0...100, exclusiveLower: true)
        try OptionCheck.int(minCapacity, "--min-capacity", 1...(1 << 20))
        try OptionCheck.int(groupSize, "--group-size", 0...(1 << 24), "0 = the whole micro-batch")
        try OptionCheck.double(auxLoss, "--aux-loss", 0...100)
        try OptionCheck.double(routerZLoss, "--router-z-loss", 0...100)
        try OptionCheck.double(outputZLoss, "--output-z-loss", 0...100, "0 = off")
    }

    var options: MoEOptions {
        var moe = MoEOptions()
        moe.gateWeights = gates
        moe.dropless = dropless
        if let capacityFactor { moe.capacityFactorTrain = capacityFactor }
        if let evalCapacityFactor { moe.capacityFactorEval = evalCapacityFactor }
        if let minCapacity { moe.minCapacity = minCapacity }
        if let groupSize { moe.groupSize = groupSize }
        moe.bidirectionalPrefix = bidirectionalPrefix
        if let auxLoss { moe.auxLossWeight = auxLoss }
        if let routerZLoss { moe.routerZLossWeight = routerZLoss }
        if let outputZLoss { moe.outputZLossWeight = outputZLoss }
        return moe
    }
}
