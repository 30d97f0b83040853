import Foundation

/// One tokenizer training, from inputs to model file: the sample is drawn (`TrainingSampler`),
/// then the model is trained on it (`TokenizerTrainer`). `moe-data tokenizer train` and a
/// manifest's `tokenizer.train` (when `build` or `ingest` finds no model) both run it, so the
/// same inputs and settings make the same model either way.
public struct TokenizerTraining {
    /// Training inputs, each with its relative share of the sample.
    public var inputs: [(source: any TrainingTextSource, share: Double)]
    public var options: TokenizerTrainingOptions
    public var modelPath: String
    /// Show libsentencepiece's training log.
    public var verbose = false
    /// Make the model's folder first when it does not exist (a manifest's model path).
    public var createsFolder = false

    /// What the sample kept from each input, and how long each step took.
    public struct Report: Sendable {
        public var sample: [TrainingSampleStats]
        public var sampleTime: Duration
        public var trainTime: Duration
    }

    public init(
        inputs: [(source: any TrainingTextSource, share: Double)], options: TokenizerTrainingOptions,
        modelPath: String
    ) {
        self.inputs = inputs
        self.options = options
        self.modelPath = modelPath
    }

    /// Draws the sample, hands its statistics to `sampled` (before the longer training step),
    /// and trains.
    @discardableResult
    public func run(sampled: ([TrainingSampleStats]) -> Void = { _ in }) throws -> Report {
        try options.validate()
        let clock = ContinuousClock()
        let sampleStart = clock.now
        let sampler = TrainingSampler(
            totalBytes: options.sampleBytes, seed: options.seed,
            maxSentenceBytes: options.maxSentenceBytes)
        let (sentences, stats) = try sampler.sample(inputs)
        let sampleTime = clock.now - sampleStart
        sampled(stats)
        if createsFolder {
            try FileManager.default.createDirectory(
                atPath: (modelPath as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
        }
        let trainStart = clock.now
        try TokenizerTrainer.train(
            sentences: DrainingSentences(sentences), options: options, modelPath: modelPath,
            verbose: verbose)
        return Report(sample: stats, sampleTime: sampleTime, trainTime: clock.now - trainStart)
    }
}
