import ArgumentParser
import Foundation
import MoeTrain

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a small MoE decoder on the packed rows of `moe-data build` (CPU, OpenBLAS).",
        discussion: """
        The model is a decoder-only transformer (RMSNorm, rotary positions, causal attention that never crosses \
        the packed segments of a row) with a top-2 MoE feed-forward in every k-th layer plus one shared dense FFN, \
        trained with AdamW. Each step is logged to the terminal and to <out>/train_log.jsonl; <out>/loss.svg is \
        the loss curve; <out>/checkpoint.safetensors holds parameters, optimizer state and data position.

        Examples:
          moe-data train --data out/sample --config tiny --steps 300 --out runs/tiny
          moe-data train --data out/sample --config tiny --steps 600 --out runs/tiny \\
            --resume
          moe-data train --data out/sample --config tiny --steps 200 --out runs/an \\
            --checkpoint-at 0.1,0.25,0.5,1.0
          moe-data train --config openmoe-base --dry-run
          moe-data train --config tiny --benchmark --steps 5
        """
    )

    @Option(help: "The `moe-data build` output folder (or its packed/ subfolder).")
    var data: String?

    @Option(help: "Model shape: \(ModelConfig.presetNames.joined(separator: ", ")).")
    var config: String = "tiny"

    @Option(help: "Folder for the checkpoint, log, plot and config.")
    var out: String = "train-out"

    @Option(help: "Total optimizer steps (with --resume: the total to reach).")
    var steps: Int = 300

    @Option(help: "Packed rows per micro-batch.")
    var batchRows: Int?

    @Option(help: "Micro-batches accumulated per optimizer step.")
    var accumulate: Int?

    @Option(help: "Peak learning rate.")
    var lr: Double?

    @Option(help: "Learning-rate schedule after warm-up: rsqrt (OpenMoE), cosine or constant.")
    var schedule: String?

    @Option(help: "Warm-up steps (linear ramp to the peak; 0 = none).")
    var warmup: Int?

    @Option(help: "AdamW weight decay on matrices (0 = off).")
    var weightDecay: Double?

    @Option(help: "Clip the global gradient norm to this value (0 = off).")
    var clip: Double?

    @Flag(inversion: .prefixedNo, help: "Seeded shuffle of shards and rows (default), or read in order.")
    var shuffle: Bool = true

    @Option(help: "Seed for initialisation and data order.")
    var seed: UInt64?

    @Option(help: "Expert gate weights: raw (OpenMoE) or renormalized (sum to 1 over the top-2).")
    var gates: String?

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

    @Option(help: "Rows of the model's embedding; default: the data's padded_vocab_size (small presets).")
    var vocabSize: Int?

    @Option(help: "Override the preset's FFN width (dense FFNs, experts, shared FFN); OpenMoE's paper gives 3072 for Base.")
    var ffnDim: Int?

    @Option(help: "Write the checkpoint every N steps (and at the end).")
    var checkpointEvery: Int?

    @Option(help: ArgumentHelp("Also keep checkpoints at these fractions of the run, e.g. 0.1,0.25,0.5,1.0 "
        + "(for `moe-data analyze` routing stability)."))
    var checkpointAt: String?

    @Option(help: "Hold out the dataset's last N rows and report their cross-entropy (eval capacity factor; 0 = none).")
    var evalRows: Int?

    @Option(help: "Evaluate the held-out rows every N steps (0 = only at the end, the default).")
    var evalEvery: Int?

    @Option(help: "Print every N-th step to the terminal (the JSONL log has every step).")
    var logEvery: Int = 1

    @Option(help: "OpenBLAS threads (the only threads the trainer uses); default: all cores.")
    var threads: Int?

    @Flag(help: "Continue the run whose checkpoint is in --out.")
    var resume: Bool = false

    @Flag(help: "Print the model's total and activated parameter counts and exit.")
    var dryRun: Bool = false

    @Flag(help: "Measure tokens/s and GFLOP/s of whole training steps on synthetic rows against cblas_sgemm.")
    var benchmark: Bool = false

    @Option(help: "Sequence length of the benchmark's synthetic rows.")
    var benchSeqLen: Int = 2048

    /// Every numeric option is checked here, before any file is read or written (no empty --out is left).
    func validate() throws {
        let count = OptionCheck.maxCount
        try OptionCheck.int(steps, "--steps", 1...count)
        try OptionCheck.int(batchRows, "--batch-rows", 1...(1 << 20))
        try OptionCheck.int(accumulate, "--accumulate", 1...(1 << 20))
        try OptionCheck.double(lr, "--lr", 0...1e6, exclusiveLower: true)
        try OptionCheck.int(warmup, "--warmup", 0...count, "0 = no warm-up")
        try OptionCheck.double(weightDecay, "--weight-decay", 0...1)
        try OptionCheck.double(clip, "--clip", 0...1e6, "0 = off")
        try OptionCheck.double(capacityFactor, "--capacity-factor", 0...100, exclusiveLower: true)
        try OptionCheck.double(evalCapacityFactor, "--eval-capacity-factor", 0...100, exclusiveLower: true)
        try OptionCheck.int(minCapacity, "--min-capacity", 1...(1 << 20))
        try OptionCheck.int(groupSize, "--group-size", 0...(1 << 24), "0 = the whole micro-batch")
        try OptionCheck.double(auxLoss, "--aux-loss", 0...100)
        try OptionCheck.double(routerZLoss, "--router-z-loss", 0...100)
        try OptionCheck.double(outputZLoss, "--output-z-loss", 0...100, "0 = off")
        try OptionCheck.int(vocabSize, "--vocab-size", 1...(1 << 24))
        try OptionCheck.int(ffnDim, "--ffn-dim", 1...(1 << 18))
        try OptionCheck.int(checkpointEvery, "--checkpoint-every", 1...count)
        try OptionCheck.int(evalRows, "--eval-rows", 0...count, "0 = no evaluation")
        try OptionCheck.int(evalEvery, "--eval-every", 0...count, "0 = only at the end")
        try OptionCheck.int(logEvery, "--log-every", 1...count)
        try OptionCheck.int(threads, "--threads", 1...OptionCheck.maxThreads)
        try OptionCheck.int(benchSeqLen, "--bench-seq-len", 2...65535)
        _ = try snapshotFractions()
    }

    /// `--checkpoint-at` as fractions in (0, 1].
    func snapshotFractions() throws -> [Double]? {
        guard let checkpointAt else { return nil }
        return try checkpointAt.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let f = Double(text), f > 0, f <= 1 else {
                throw ValidationError("--checkpoint-at: '\(text)' is not a fraction in (0, 1]")
            }
            return f
        }
    }

    func run() throws {
        do { try execute() } catch let error as TrainError {
            throw ValidationErrorMessage(error.description)
        }
    }

    private func execute() throws {
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        if dryRun { return try printCounts() }
        if benchmark {
            let vocab = vocabSize ?? 8192
            var model = try ModelConfig.preset(config, dataVocab: vocab)
            if let ffnDim { model.ffnDim = ffnDim }
            let r = try TrainBenchmark.run(config: model, rowsPerStep: batchRows ?? 1, seqLen: benchSeqLen, steps: steps,
                                           threads: threadCount)
            let line = String(format: "config %@ | vocab %d | threads %d | %d tokens/step | %.3f s/step | %.0f tokens/s | "
                + "model %.1f GFLOP/s | sgemm 1024³ %.1f GFLOP/s, model-shaped %.1f GFLOP/s | step/sgemm %.0f%% (%.0f%% of model-shaped)",
                r.config, vocab, r.threads, r.tokensPerStep, r.secondsPerStep, r.tokensPerSecond, r.modelGFLOPS,
                r.sgemmSquareGFLOPS, r.sgemmModelShapeGFLOPS, 100 * r.modelGFLOPS / r.sgemmSquareGFLOPS,
                100 * r.modelGFLOPS / r.sgemmModelShapeGFLOPS)
            print(line)
            return
        }
        guard let data else { throw TrainError("--data is required (the `moe-data build` output folder)") }
        let dataset = try PackedDataset(path: URL(fileURLWithPath: data))
        BLASThreads.set(threadCount)
        var model = try ModelConfig.preset(config, dataVocab: dataset.info.paddedVocabSize)
        if let vocabSize { model.vocabSize = vocabSize }
        if let ffnDim { model.ffnDim = ffnDim }
        var moe = MoEOptions()
        if let gates {
            guard let g = MoEOptions.GateWeights(rawValue: gates) else { throw TrainError("--gates must be raw or renormalized, got '\(gates)'") }
            moe.gateWeights = g
        }
        moe.dropless = dropless
        if let capacityFactor { moe.capacityFactorTrain = capacityFactor }
        if let evalCapacityFactor { moe.capacityFactorEval = evalCapacityFactor }
        if let minCapacity { moe.minCapacity = minCapacity }
        if let groupSize { moe.groupSize = groupSize }
        moe.bidirectionalPrefix = bidirectionalPrefix
        if let auxLoss { moe.auxLossWeight = auxLoss }
        if let routerZLoss { moe.routerZLossWeight = routerZLoss }
        if let outputZLoss { moe.outputZLossWeight = outputZLoss }
        var optimizer = AdamWSettings()
        if let weightDecay { optimizer.weightDecay = weightDecay }
        if let clip { optimizer.clipNorm = clip }
        let kindName = schedule ?? "rsqrt"
        guard let kind = LRSchedule.Kind(rawValue: kindName) else {
            throw TrainError("--schedule must be one of \(LRSchedule.Kind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(kindName)'")
        }
        let sched = LRSchedule(kind: kind, peak: lr ?? (config == "tiny" ? 3e-3 : 1e-3), warmup: warmup ?? 30, totalSteps: steps)
        var train = TrainConfig(model: model, moe: moe, optimizer: optimizer, schedule: sched, batchRows: batchRows ?? 1,
                                accumulation: accumulate ?? 1, shuffle: shuffle, seed: seed ?? 0,
                                checkpointEvery: checkpointEvery ?? 50)
        train.evalRows = evalRows ?? 0
        train.evalEvery = evalEvery ?? 0
        let trainer = try Trainer(config: train, dataset: dataset, outDir: URL(fileURLWithPath: out), resume: resume) { Self.emit($0) }
        trainer.logEvery = logEvery
        if let fractions = try snapshotFractions() { trainer.snapshotFractions = fractions }
        let p = trainer.model.layout
        Self.emit("moe-data train: \(model.name), \(Self.millions(p.total)) parameters (\(Self.millions(p.activated)) activated), "
            + "\(dataset.rowCount) rows of \(dataset.info.seqLen) in \(dataset.shardCount) shards, "
            + "\(threadCount) OpenBLAS threads, starting at step \(trainer.step) of \(steps)")
        try trainer.run()
        Self.emit("wrote \(trainer.checkpointURL.path), \(trainer.logURL.path), \(trainer.plotURL.path)")
    }

    /// Writes a line unbuffered, so a log redirected to a file shows each step as it ends.
    static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func millions(_ n: Int) -> String {
        n >= 1_000_000_000 ? String(format: "%.2fB", Double(n) / 1e9) : String(format: "%.1fM", Double(n) / 1e6)
    }

    private func printCounts() throws {
        var model = try ModelConfig.preset(config, dataVocab: vocabSize ?? 8192)
        if let vocabSize { model.vocabSize = vocabSize }
        if let ffnDim { model.ffnDim = ffnDim }
        try model.validate()
        let p = ParameterLayout(model)
        let m = Self.millions
        print("config \(model.name): \(model.layers) layers, d_model \(model.dModel), \(model.heads)×\(model.headDim) heads, "
            + "FFN \(model.ffnDim), \(model.experts) experts top-\(model.topK) in \(model.moeLayerCount) MoE layers "
            + "(every \(model.moeEvery)), shared FFN \(model.sharedExpert ? "yes" : "no"), vocabulary \(model.vocabSize)")
        print("total parameters:     \(m(p.total))  (embedding \(m(p.embeddingSize)), LM head \(m(p.embeddingSize)), "
            + "without both \(m(p.total - 2 * p.embeddingSize)))")
        print("activated parameters: \(m(p.activated))  (without embedding and head \(m(p.activated - 2 * p.embeddingSize)))")
        let paper = ["openmoe-base": ("650M", "142M"), "openmoe-8b": ("8.7B", "2.1B"), "openmoe-34b": ("34B", "6.0B")]
        if let (total, active) = paper[model.name] {
            print("OpenMoE paper (Table 11): \(total) total, \(active) activated")
            print("  same counts with one vocabulary table: \(m(p.total - p.embeddingSize)) total; "
                + "with none: \(m(p.activated - 2 * p.embeddingSize)) activated")
        }
    }
}

/// Prints a trainer error as the command's error message (no stack, no type name).
struct ValidationErrorMessage: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
