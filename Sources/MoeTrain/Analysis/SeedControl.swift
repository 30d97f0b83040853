/// The control of the early-routing-learning finding: how much two independently seeded runs agree on
/// the top-1 expert of the frequent ids' tokens. Expert numbers are arbitrary between two runs (expert 3
/// of one may do what expert 5 of the other does), so the agreement is also taken after relabelling the
/// other run's experts by the one-to-one matching that agrees most: the fair yardstick for "routing
/// settles early" is how alike two equally trained but unrelated routers look at best.
public enum SeedControl {
    public struct Agreement: Sendable, Equatable {
        public var tokens: Int
        /// Share of the tokens with the same top-1 expert number in both runs.
        public var raw: Double
        /// The same after the best one-to-one relabelling of the other run's experts.
        public var matched: Double
        /// The relabelling: `mapping[e]` = the reference expert that the other run's expert e became.
        public var mapping: [Int]
    }

    /// Nil when the two records are not over the same tokens.
    public static func agreement(reference: LayerRouting, other: LayerRouting, ids: [Int]) -> Agreement? {
        guard reference.tokenIds == other.tokenIds, reference.experts == other.experts else { return nil }
        let experts = reference.experts, wanted = Set(ids)
        // together[o][r]: tokens whose top-1 is o in the other run and r in the reference.
        var together = [[Int]](repeating: [Int](repeating: 0, count: experts), count: experts)
        var tokens = 0
        for t in 0..<reference.count where wanted.contains(Int(reference.tokenIds[t])) {
            together[other.choice(t, 0)][reference.choice(t, 0)] += 1
            tokens += 1
        }
        let raw = (0..<experts).reduce(0) { $0 + together[$1][$1] }
        let mapping = bestMatching(together)
        let matched = mapping.enumerated().reduce(0) { $0 + together[$1.offset][$1.element] }
        let n = Double(max(1, tokens))
        return Agreement(tokens: tokens, raw: Double(raw) / n, matched: Double(matched) / n, mapping: mapping)
    }

    /// The one-to-one assignment of rows to columns with the largest total (Hungarian method, O(E³)).
    static func bestMatching(_ weights: [[Int]]) -> [Int] {
        let n = weights.count
        guard n > 0 else { return [] }
        let top = weights.flatMap { $0 }.max() ?? 0
        // Minimise cost = top − weight; 1-based arrays as in the classic formulation.
        var u = [Int](repeating: 0, count: n + 1), v = [Int](repeating: 0, count: n + 1)
        var columnRow = [Int](repeating: 0, count: n + 1), way = [Int](repeating: 0, count: n + 1)
        for row in 1...n {
            columnRow[0] = row
            var column = 0
            var minimum = [Int](repeating: Int.max, count: n + 1), used = [Bool](repeating: false, count: n + 1)
            repeat {
                used[column] = true
                let r = columnRow[column]
                var delta = Int.max, next = 0
                for c in 1...n where !used[c] {
                    let reduced = (top - weights[r - 1][c - 1]) - u[r] - v[c]
                    if reduced < minimum[c] {
                        minimum[c] = reduced
                        way[c] = column
                    }
                    if minimum[c] < delta {
                        delta = minimum[c]
                        next = c
                    }
                }
                for c in 0...n {
                    if used[c] {
                        u[columnRow[c]] += delta
                        v[c] -= delta
                    } else {
                        minimum[c] -= delta
                    }
                }
                column = next
            } while columnRow[column] != 0
            repeat {
                let previous = way[column]
                columnRow[column] = columnRow[previous]
                column = previous
            } while column != 0
        }
        var mapping = [Int](repeating: 0, count: n)
        for c in 1...n where columnRow[c] > 0 { mapping[columnRow[c] - 1] = c - 1 }
        return mapping
    }
}
