import PackedFormat

/// OpenMoE §4.1: consecutive tokens prefer the same expert. Measured as P(top-1 of token t+1 = top-1 of
/// token t) over the pairs of neighbouring tokens inside one packed segment, with two controls:
/// - chance: Σ_e p_e², p = the marginal top-1 shares of the paired tokens (independent picks);
/// - shuffled positions: the same rate after each segment's top-1 choices are shuffled (seeded) inside the
///   segment. That keeps whatever a segment shares as a whole (its domain, language, document) and breaks
///   only the order, so "neighbours agree" must beat it, not just chance.
public enum NeighbourStatistics {
    public struct Agreement: Sendable, Equatable {
        public var pairs: Int
        public var same: Double
        public var chance: Double
        public var shuffled: Double

        /// The finding holds when the rate beats chance and beats the shuffled control by more than three
        /// standard errors of a rate over this many pairs (the difference of two such rates has √2 of
        /// one's error, so a router with no neighbour effect passes about 2% of the time).
        public var holds: Bool {
            guard pairs > 0 else { return false }
            let se = (shuffled * (1 - shuffled) / Double(pairs)).squareRoot()
            return same > chance && same - shuffled > 3 * se
        }
    }

    /// The segments' top-1 sequences: maximal runs of tokens that follow each other in one segment.
    static func segmentRuns(_ r: LayerRouting) -> [[Int]] {
        var runs: [[Int]] = []
        var current: [Int] = []
        for t in 0..<r.count {
            current.append(r.choice(t, 0))
            if !r.followsInSegment(t) {
                runs.append(current)
                current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    static func agreeing(_ run: [Int]) -> Int { zip(run, run.dropFirst()).filter { $0 == $1 }.count }

    public static func agreement(_ r: LayerRouting, seed: UInt64) -> Agreement {
        let runs = segmentRuns(r).filter { $0.count >= 2 }
        let pairs = runs.reduce(0) { $0 + $1.count - 1 }
        guard pairs > 0 else { return Agreement(pairs: 0, same: 0, chance: 0, shuffled: 0) }
        var top1 = [Int](repeating: 0, count: r.experts)
        for run in runs { for e in run { top1[e] += 1 } }
        let p = RoutingStatistics.shares(top1)
        var rng = KeyedRandom(seed: seed, name: "neighbour-shuffle")
        let same = runs.reduce(0) { $0 + agreeing($1) }
        let shuffled = runs.reduce(0) { $0 + agreeing($1.shuffled(using: &rng)) }
        return Agreement(
            pairs: pairs, same: Double(same) / Double(pairs), chance: p.reduce(0) { $0 + $1 * $1 },
            shuffled: Double(shuffled) / Double(pairs))
    }
}
