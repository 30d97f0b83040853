/// Drops of the probe's tokens against the training rows' at the same positions (OpenMoE §4.3, Fig. 12:
/// instruction-following data gets more tokens dropped, mostly at later positions).
///
/// Capacity is handed out in row order, so a token's chance to be dropped depends on its place in the
/// routing group (its row offset) more than on its position in its document: short probe documents packed
/// into one row sit at small positions but large offsets. `byRowOffset` compares at equal offsets, which
/// separates "out of distribution" from "later in the group".
public struct ProbeComparison: Sendable, Equatable {
    public var probe: RoutingStatistics.DropCurve
    public var training: RoutingStatistics.DropCurve
    /// Share of the probe's assignments dropped.
    public var probeRate: Double
    /// The training rows' drop rate per position bucket, weighted by the probe's assignments per bucket:
    /// what the probe would lose if it dropped like training data at its own positions.
    public var matchedTrainingRate: Double
    public var probeAssignments: Int

    /// The finding holds when the probe's rate exceeds the matched training rate by more than three
    /// standard errors of a rate over the probe's assignments.
    public var holds: Bool {
        guard probeAssignments > 0 else { return false }
        let p = matchedTrainingRate
        return probeRate - p > 3 * (max(p * (1 - p), 1e-12) / Double(probeAssignments)).squareRoot()
    }

    public init(training: LayerRouting, probe: LayerRouting, bucketWidth: Int, byRowOffset: Bool = false) {
        self.training = RoutingStatistics.dropCurve(training, bucketWidth: bucketWidth, byRowOffset: byRowOffset)
        self.probe = RoutingStatistics.dropCurve(probe, bucketWidth: bucketWidth, byRowOffset: byRowOffset)
        probeRate = self.probe.overall
        probeAssignments = self.probe.assignments.reduce(0, +)
        var weighted = 0.0, weight = 0
        let trainingRates = self.training.rates
        for (b, assignments) in self.probe.assignments.enumerated() where assignments > 0 {
            // Positions the training rows never reach take the training rows' last measured rate.
            let rate: Double?
            if b < trainingRates.count { rate = trainingRates[b] } else { rate = trainingRates.compactMap { $0 }.last }
            guard let rate else { continue }
            weighted += Double(assignments) * rate
            weight += assignments
        }
        matchedTrainingRate = weight > 0 ? weighted / Double(weight) : 0
    }
}
