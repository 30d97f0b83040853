import Foundation

/// Everything that decides a run's numbers. Saved in every checkpoint; a resumed run must match it
/// (only `schedule.totalSteps` may grow).
public struct TrainConfig: Sendable, Equatable, Codable {
    public var model: ModelConfig
    public var moe: MoEOptions
    public var optimizer: AdamWSettings
    public var schedule: LRSchedule
    /// Packed rows per micro-batch, and micro-batches per optimizer step.
    public var batchRows: Int
    public var accumulation: Int
    public var shuffle: Bool
    public var seed: UInt64
    public var initStd: Double
    public var checkpointEvery: Int
    /// The last `evalRows` rows of the dataset are held out and evaluated (eval capacity factor, no
    /// gradients) every `evalEvery` steps (0: at the end of the run only); evalRows 0 = no evaluation.
    public var evalRows: Int = 0
    public var evalEvery: Int = 0

    public init(
        model: ModelConfig, moe: MoEOptions = MoEOptions(), optimizer: AdamWSettings = AdamWSettings(),
        schedule: LRSchedule, batchRows: Int = 1, accumulation: Int = 1, shuffle: Bool = true, seed: UInt64 = 0,
        initStd: Double = 0.02, checkpointEvery: Int = 50
    ) {
        self.model = model
        self.moe = moe
        self.optimizer = optimizer
        self.schedule = schedule
        self.batchRows = batchRows
        self.accumulation = accumulation
        self.shuffle = shuffle
        self.seed = seed
        self.initStd = initStd
        self.checkpointEvery = checkpointEvery
    }

    public func validate() throws {
        try model.validate()
        guard batchRows >= 1, accumulation >= 1 else { throw TrainError("--batch-rows and --accumulate must be ≥ 1") }
        guard schedule.totalSteps >= 1 else { throw TrainError("--steps must be ≥ 1") }
        guard schedule.peak > 0, schedule.peak.isFinite else { throw TrainError("--lr must be a positive number") }
        guard moe.capacityFactorTrain > 0, moe.capacityFactorEval > 0, moe.minCapacity >= 1 else {
            throw TrainError("capacity factors must be > 0 and --min-capacity ≥ 1")
        }
        try validateRanges()
    }

    /// Canonical JSON (sorted keys) for the checkpoint's metadata and `config.json`.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func from(json: String, source: String) throws -> TrainConfig {
        do { return try JSONDecoder().decode(TrainConfig.self, from: Data(json.utf8)) } catch {
            throw TrainError("\(source): the saved run config cannot be read: \(error)")
        }
    }
}
