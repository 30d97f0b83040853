/// Where a build's rows are cut into K slices that separate processes build.
///
/// Every row has a regenerating state (`BuildCheckpoint(regenerating:)`): the steps' state before
/// the example that closed it. Slice k holds the rows whose regenerating state has consumed at
/// least ⌊k·T/K⌋ source tokens of the mixture (T: the sum of the phase budgets) and fewer than
/// ⌊(k+1)·T/K⌋. That count never decreases from one row to the next, so the slices are
/// consecutive runs of rows, their concatenation is every row once, and each slice finds its own
/// ends while it builds: no slice needs to know how many rows there are.
struct BuildSlicing {
    let count: Int
    let schedule: MixSchedule

    init(count: Int, schedule: MixSchedule) throws {
        guard count >= 1 else { throw MoeDataError("--slices must be at least 1, got \(count)") }
        self.count = count
        self.schedule = schedule
    }

    /// Source tokens of the whole mixture.
    var total: Int { schedule.budgets.reduce(0, +) }

    /// The first source-token position of slice `k` (`total` for k = count).
    func start(ofSlice k: Int) -> Int {
        let (q, _) = WideArithmetic.mulDiv(UInt64(total), UInt64(k), UInt64(count)) ?? (UInt64(total), 0)
        return Int(q)
    }

    /// Source tokens the mixer had consumed in `state`, over every phase.
    func position(_ state: MixerState) -> Int {
        let phase = min(state.phase, schedule.phaseCount)
        return schedule.budgets[..<phase].reduce(0, +) + state.sources.reduce(0) { $0 + $1.consumedInPhase }
    }
}
