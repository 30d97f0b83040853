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

    @Option(
        help: ArgumentHelp(
            "The `moe-data build` output folder (or its packed/ subfolder); needed unless --dry-run or --benchmark."))
    var data: String?

    @Option(help: "Folder for the checkpoint, log, plot and config.")
    var out: String = "train-out"

    @Option(help: "Total optimizer steps (with --resume: the total to reach).")
    var steps: Int = 300

    @Option(help: "Packed rows per micro-batch.")
    var batchRows: Int = 1

    @Option(help: "Micro-batches accumulated per optimizer step.")
    var accumulate: Int = 1

    @Flag(inversion: .prefixedNo, help: "Seeded shuffle of shards and rows (default), or read in order.")
    var shuffle: Bool = true

    @Option(help: "Seed for initialisation and data order.")
    var seed: UInt64 = 0

    @OptionGroup(title: "Model") var model: ModelArguments

    @Flag(help: "Train the dense model of the --config shape: every layer a dense FFN (to upcycle from later).")
    var dense: Bool = false

    @Option(
        help: ArgumentHelp(
            "Start from a dense checkpoint (`train --dense`, same shape): every expert a copy of its layer's "
                + "FFN, the router at its init, the shared FFN's output projection zero.",
            valueName: "checkpoint"))
    var upcycleFrom: String?

    @OptionGroup(title: "Optimizer") var optimizer: OptimizerArguments

    @OptionGroup(title: "Routing and auxiliary losses") var moe: MoEArguments

    @Option(help: "Write the checkpoint every N steps (and at the end).")
    var checkpointEvery: Int = 50

    @Option(
        help: ArgumentHelp(
            "Also keep checkpoints at these fractions of the run, e.g. 0.1,0.25,0.5,1.0 "
                + "(for `moe-data analyze` routing stability)."))
    var checkpointAt: String?

    @Option(help: "Hold out the dataset's last N rows and report their cross-entropy (eval capacity factor; 0 = none).")
    var evalRows: Int = 0

    @Option(help: "Evaluate the held-out rows every N steps (0 = only at the end, the default).")
    var evalEvery: Int = 0

    @Option(help: "Print every N-th step to the terminal (the JSONL log has every step).")
    var logEvery: Int = 1

    @OptionGroup var jobs: JobsOption<BLASJobs>

    @Flag(help: "Continue the run whose checkpoint is in --out.")
    var resume: Bool = false

    @Flag(help: "Print the model's total and activated parameter counts and exit.")
    var dryRun: Bool = false

    @Flag(help: "Measure tokens/s and GFLOP/s of whole training steps on synthetic rows against cblas_sgemm.")
    var benchmark: Bool = false

    @Option(help: "Sequence length of the benchmark's synthetic rows.")
    var benchSeqLen: Int = 2048

    /// Every option is checked here, before any file is read or written (no empty --out is left).
    func validate() throws {
        let count = OptionCheck.maxCount
        try OptionCheck.int(steps, "--steps", 1...count)
        try OptionCheck.int(batchRows, "--batch-rows", 1...(1 << 20))
        try OptionCheck.int(accumulate, "--accumulate", 1...(1 << 20))
        try OptionCheck.int(checkpointEvery, "--checkpoint-every", 1...count)
        try OptionCheck.int(evalRows, "--eval-rows", 0...count, "0 = no evaluation")
        try OptionCheck.int(evalEvery, "--eval-every", 0...count, "0 = only at the end")
        try OptionCheck.int(logEvery, "--log-every", 1...count)
        try OptionCheck.int(benchSeqLen, "--bench-seq-len", 2...65535)
        _ = try snapshotFractions()
        if dense && upcycleFrom != nil { throw ValidationError("--dense and --upcycle-from exclude each other") }
        if data == nil && !dryRun && !benchmark { throw ValidationError(Self.dataRequired) }
    }

    static let dataRequired = "--data is required (the `moe-data build` output folder)"

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
        try BLASThreads.requireLibrary()
        if dryRun { return try printCounts() }
        if benchmark { return try runBenchmark() }
        guard let data else { throw ValidationError(Self.dataRequired) }
        let dataset = try PackedDataset(path: URL(fileURLWithPath: data))
        BLASThreads.set(jobs.count)
        HeapReuse.enable()
        let config = try trainConfig(dataVocab: dataset.info.paddedVocabSize)
        let trainer = try Trainer(config: config, dataset: dataset, outDir: URL(fileURLWithPath: out), resume: resume) {
            LiveOutput.line($0)
        }
        trainer.logEvery = logEvery
        if let fractions = try snapshotFractions() { trainer.snapshotFractions = fractions }
        if let upcycleFrom { try upcycle(trainer, from: upcycleFrom) }
        let p = trainer.model.layout
        let m = LiveOutput.millions
        LiveOutput.line(
            "moe-data train: \(config.model.name), \(m(p.total)) parameters (\(m(p.activated)) activated), "
                + "\(dataset.rowCount) rows of \(dataset.info.seqLen) in \(dataset.shardCount) shards, "
                + "\(jobs.count) OpenBLAS threads, starting at step \(trainer.step) of \(steps)")
        try trainer.run()
        LiveOutput.line("wrote \(trainer.checkpointURL.path), \(trainer.logURL.path), \(trainer.plotURL.path)")
    }

    /// `--upcycle-from`: a fresh run starts from the dense checkpoint; a resumed one already did.
    private func upcycle(_ trainer: Trainer, from path: String) throws {
        guard trainer.step == 0 else {
            LiveOutput.line("--upcycle-from: resuming at step \(trainer.step), the parameters come from the checkpoint")
            return
        }
        let s = try Upcycling.apply(denseCheckpoint: URL(fileURLWithPath: path), to: trainer.model)
        LiveOutput.line(
            "upcycled from \(path): \(s.copiedTensors) tensors copied, \(s.expertCopies) expert matrices from the "
                + "dense FFNs, \(s.routersKept) routers at init, \(s.sharedOutputsZeroed) shared FFN outputs zeroed")
    }

    /// Everything that decides the run's numbers, from the options; `dataVocab` sizes the small presets.
    private func trainConfig(dataVocab: Int) throws -> TrainConfig {
        let shape = try model.model(dataVocab: dataVocab)
        var train = TrainConfig(
            model: dense ? Upcycling.denseShape(of: shape) : shape, moe: moe.options, optimizer: optimizer.settings,
            schedule: optimizer.schedule(config: model.config, steps: steps), batchRows: batchRows,
            accumulation: accumulate, shuffle: shuffle, seed: seed, checkpointEvery: checkpointEvery)
        train.evalRows = evalRows
        train.evalEvery = evalEvery
        return train
    }

    /// `--benchmark`: whole training steps on synthetic rows, against cblas_sgemm.
    private func runBenchmark() throws {
        let vocab = model.vocabSize ?? 8192
        let r = try TrainBenchmark.run(
            config: try model.model(dataVocab: vocab), rowsPerStep: batchRows,
            seqLen: benchSeqLen, steps: steps, threads: jobs.count)
        print(
            String(
                format: "config %@ | vocab %d | threads %d | %d tokens/step | %.3f s/step | %.0f tokens/s | "
                    + "model %.1f GFLOP/s | sgemm 1024³ %.1f GFLOP/s, model-shaped %.1f GFLOP/s | "
                    + "step/sgemm %.0f%% (%.0f%% of model-shaped)",
                r.config, vocab, r.threads, r.tokensPerStep, r.secondsPerStep, r.tokensPerSecond, r.modelGFLOPS,
                r.sgemmSquareGFLOPS, r.sgemmModelShapeGFLOPS, 100 * r.modelGFLOPS / r.sgemmSquareGFLOPS,
                100 * r.modelGFLOPS / r.sgemmModelShapeGFLOPS))
    }

    /// The data vocabulary `--dry-run` counts with: the one the run would take from `--data` (its
    /// padded vocabulary), else `--vocab-size`, else 8192.
    private func dryRunDataVocabulary() throws -> Int {
        if let data { return try PackedDataset(path: URL(fileURLWithPath: data)).info.paddedVocabSize }
        return model.vocabSize ?? 8192
    }

    /// `--dry-run`: the model's parameter counts, next to the OpenMoE paper's for its presets.
    private func printCounts() throws {
        let shape = try self.model.model(dataVocab: try dryRunDataVocabulary())
        let model = dense ? Upcycling.denseShape(of: shape) : shape
        try model.validate()
        let p = ParameterLayout(model)
        let m = LiveOutput.millions
        print(
            "config \(model.name): \(model.layers) layers, d_model \(model.dModel), "
                + "\(model.heads)×\(model.headDim) heads, FFN \(model.ffnDim), \(model.experts) experts "
                + "top-\(model.topK) "
                + "in \(model.moeLayerCount) MoE layers (every \(model.moeEvery)), "
                + "shared FFN \(model.sharedExpert ? "yes" : "no"), vocabulary \(model.vocabSize)")
        print(
            "total parameters:     \(m(p.total))  (embedding \(m(p.embeddingSize)), LM head \(m(p.embeddingSize)), "
                + "without both \(m(p.total - 2 * p.embeddingSize)))")
        print(
            "activated parameters: \(m(p.activated))  "
                + "(without embedding and head \(m(p.activated - 2 * p.embeddingSize)))")
        let paper = ["openmoe-base": ("650M", "142M"), "openmoe-8b": ("8.7B", "2.1B"), "openmoe-34b": ("34B", "6.0B")]
        if let (total, active) = paper[model.name] {
            print("OpenMoE paper (Table 11): \(total) total, \(active) activated")
            print(
                "  same counts with one vocabulary table: \(m(p.total - p.embeddingSize)) total; "
                    + "with none: \(m(p.activated - 2 * p.embeddingSize)) activated")
        }
    }
}
