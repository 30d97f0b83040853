/// What a killed build resumes from, committed with every packed shard: the state of each step
/// before the example that produced the shard's next row, so the resumed build makes that row
/// and every one after it again, to the byte.
struct BuildCheckpoint: Codable {
    var signature: String
    /// The example step's index of the next example.
    var exampleIndex: UInt64
    var mixer: MixerState
    /// The packer's open row, and its phase (which lags the mixer's phase until the row is closed).
    var packer: Packer.State
    var packerPhase: Int
    var accounting: MixAccounting
    var phases: [PhaseCounters]

    /// `openExamples`: the packer's state under the name earlier versions gave it.
    enum CodingKeys: String, CodingKey {
        case signature, exampleIndex, mixer, packer = "openExamples", packerPhase, accounting, phases
    }

    /// Rows in the shards committed with it and before it.
    var rows: Int { phases.reduce(0) { $0 + $1.packing.rows } }
}

extension BuildCheckpoint {
    /// The checkpoint that makes `closed` again: the steps' state `from` before the example that
    /// closed it, with the packer's state and counts from before the row.
    init(regenerating closed: PackStep.ClosedRow, from: ResumePoint, signature: String) {
        self.init(
            signature: signature, exampleIndex: from.exampleIndex, mixer: from.mixer, packer: closed.packerState,
            packerPhase: closed.phase, accounting: from.accounting,
            phases: zip(from.objectiveCounters, closed.countersBefore).map(PhaseCounters.init))
    }
}

/// One phase's counts as the build summary and the checkpoint store them: the example step's and
/// the pack step's, in one flat JSON object (the catalog's `build.summary` has always been that).
struct PhaseCounters: Codable, Equatable {
    var objective = ObjectiveCounters()
    var packing = RowCounters()

    init(objective: ObjectiveCounters = ObjectiveCounters(), packing: RowCounters = RowCounters()) {
        self.objective = objective
        self.packing = packing
    }

    init(from decoder: any Decoder) throws {
        objective = try ObjectiveCounters(from: decoder)
        packing = try RowCounters(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try objective.encode(to: encoder)
        try packing.encode(to: encoder)
    }
}

/// What the pack step counts per phase.
struct RowCounters: Codable, Equatable {
    var rows = 0
    /// Tokens of the examples in the rows.
    var rowTokens = 0
    var paddingTokens = 0
}
