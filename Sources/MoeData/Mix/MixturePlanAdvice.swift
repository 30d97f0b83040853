/// What to do when a mixture needs more tokens than its sources hold: first the largest
/// `--total-tokens` the sources support at `max_epochs: 1` (computed, not guessed), and only then
/// repetition (`max_epochs`), which trains on the same text again.
extension MixturePlan {
    /// The error `build` and `plan` print: what runs out, then the total that fits, then max_epochs.
    public func failureMessage() -> String {
        guard !problems.isEmpty else { return "" }
        var lines = ["the mixture needs more tokens than the sources hold: " + problems[0]]
        if problems.count > 1 {
            let others = outOfTokensSources.dropFirst()
            let named =
                others.prefix(12).joined(separator: ", ")
                + (others.count > 12 ? ", … (\(others.count - 12) more)" : "")
            lines.append("(\(problems.count - 1) more source\(problems.count == 2 ? "" : "s") run out: \(named))")
        }
        if let n = MixturePlan.largestFittingTotal(mixture, available: available, domains: domains) {
            lines.append(
                "Use --total-tokens \(n) (\(TokenCount.format(n))): the largest total these sources hold "
                    + "with every source read at most once (max_epochs 1).")
        } else {
            lines.append("No total fits with every source read at most once: a source the mixture needs is empty.")
        }
        let epochs = epochsNeeded
        if let worst = epochs.max(by: { $0.value < $1.value }) {
            lines.append(
                "Or repeat sources: set sources.<name>.max_epochs in \(mixture.file) (or pass --max-epochs "
                    + "\(worst.value) for all); \(worst.key) needs \(worst.value) passes at this size.")
        }
        return lines.joined(separator: "\n")
    }

    /// Sources that run out, in the order of `problems` (phase by phase, in the schedule's source order).
    var outOfTokensSources: [String] {
        var seen: Set<String> = []
        return phases.flatMap { phase in
            schedule.sources.filter { name in (phase.sources.first { $0.source == name }?.missingTokens ?? 0) > 0 }
        }.filter { seen.insert($0).inserted }
    }

    /// Passes each short source needs over the whole mixture.
    var epochsNeeded: [String: Int] {
        var out: [String: Int] = [:]
        for source in outOfTokensSources {
            guard let s = schedule.sources.firstIndex(of: source), let have = available[source], have > 0 else {
                continue
            }
            let total = schedule.cumulativeTarget(source: s, throughPhase: schedule.phaseCount - 1)
            out[source] = (total + have - 1) / have
        }
        return out
    }

    /// The largest total (source tokens) `mixture` can be scaled to with every source at
    /// `max_epochs: 1`, found by bisection over the scaled plans (nil when not even 1 token fits).
    public static func largestFittingTotal(
        _ mixture: Mixture, available: [String: Int],
        domains: [String: String]
    ) -> Int? {
        let once = mixture.overridingMaxEpochs(
            Dictionary(uniqueKeysWithValues: mixture.mentionedSources.map { ($0, 1) }))
        func fits(_ total: Int) -> Bool {
            guard let scaled = try? once.scaled(toTotal: total),
                let plan = try? MixturePlan(mixture: scaled, available: available, domains: domains)
            else {
                return false
            }
            return plan.problems.isEmpty
        }
        // Every token a source has, summed, bounds the total from above.
        var hi = available.values.reduce(0) { $0 &+ max(0, $1) } + 1
        var lo = 0
        if fits(hi) { return hi }
        // Invariant: lo fits (or is 0), hi does not.
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if fits(mid) { lo = mid } else { hi = mid }
        }
        return lo > 0 ? lo : nil
    }
}
