import PackedFormat

/// Per-language expert shares (OpenMoE §4.1, "some experts specialize in natural languages"), over the
/// tokens whose language is known.
public enum LanguageStatistics {
    /// One language's expert distribution and its total-variation distance from the distribution over
    /// all tokens with a known language (0 = the same, 1 = disjoint).
    public struct LanguageShares: Sendable, Equatable {
        public var language: String
        public var tokens: Int
        public var shares: [Double]
        public var distance: Double
    }

    /// How language-specific one expert is: the total-variation distance between the languages of the
    /// tokens it takes and the languages of all tokens, and the language it over-takes most (lift =
    /// its share of the expert's tokens over its share of all tokens).
    public struct ExpertSpecificity: Sendable, Equatable {
        public var expert: Int
        public var assignments: Int
        public var specificity: Double
        public var topLanguage: String
        public var lift: Double
    }

    /// Total-variation distance between two distributions of the same length.
    public static func totalVariation(_ p: [Double], _ q: [Double]) -> Double {
        zip(p, q).reduce(0) { $0 + abs($1.0 - $1.1) } / 2
    }

    /// The overall distribution (tokens with a known language) and each language's, most tokens first;
    /// `labels` replaces the record's language per token (the shuffled control).
    public static func shares(_ r: LayerRouting, languages names: [String], labels tokenLanguages: [Int32]? = nil)
        -> (overall: [Double], perLanguage: [LanguageShares])
    {
        let labels = tokenLanguages ?? r.languages
        let overall = RoutingStatistics.shares(RoutingStatistics.expertCounts(r) { labels[$0] >= 0 })
        var tokens = [Int](repeating: 0, count: names.count)
        var counts = [[Int]](repeating: [Int](repeating: 0, count: r.experts), count: names.count)
        for t in 0..<r.count where labels[t] >= 0 && Int(labels[t]) < names.count {
            let l = Int(labels[t])
            tokens[l] += 1
            for k in 0..<r.topK { counts[l][r.choice(t, k)] += 1 }
        }
        let rows = names.indices.filter { tokens[$0] > 0 }.map { l in
            let s = RoutingStatistics.shares(counts[l])
            return LanguageShares(
                language: names[l], tokens: tokens[l], shares: s, distance: totalVariation(s, overall))
        }
        return (overall, rows.sorted { $0.tokens != $1.tokens ? $0.tokens > $1.tokens : $0.language < $1.language })
    }

    /// Mean distance from the overall distribution, weighted by tokens.
    public static func meanDistance(_ rows: [LanguageShares]) -> Double {
        let total = rows.reduce(0) { $0 + $1.tokens }
        return total > 0 ? rows.reduce(0) { $0 + Double($1.tokens) * $1.distance } / Double(total) : 0
    }

    /// The control: the same mean distance after the tokens' language labels are shuffled among the
    /// labelled tokens (seeded), which keeps every language's size but breaks any tie to the routing. Its
    /// value is the sampling noise of languages of those sizes.
    public static func shuffledLabelDistance(_ r: LayerRouting, languages names: [String], seed: UInt64) -> Double {
        let labelled = (0..<r.count).filter { r.languages[$0] >= 0 }
        var rng = KeyedRandom(seed: seed, name: "language-labels")
        let permuted = labelled.map { r.languages[$0] }.shuffled(using: &rng)
        var labels = [Int32](repeating: -1, count: r.count)
        for (i, t) in labelled.enumerated() { labels[t] = permuted[i] }
        return meanDistance(shares(r, languages: names, labels: labels).perLanguage)
    }

    /// Each expert with at least `minAssignments` assignments from labelled tokens, most specific first.
    public static func expertSpecificity(_ r: LayerRouting, languages names: [String], minAssignments: Int)
        -> [ExpertSpecificity]
    {
        guard !names.isEmpty else { return [] }
        var byExpert = [[Int]](repeating: [Int](repeating: 0, count: names.count), count: r.experts)
        var all = [Int](repeating: 0, count: names.count)
        for t in 0..<r.count where r.languages[t] >= 0 && Int(r.languages[t]) < names.count {
            let l = Int(r.languages[t])
            for k in 0..<r.topK {
                byExpert[r.choice(t, k)][l] += 1
                all[l] += 1
            }
        }
        let overall = RoutingStatistics.shares(all)
        var out: [ExpertSpecificity] = []
        for e in 0..<r.experts {
            let n = byExpert[e].reduce(0, +)
            guard n >= max(1, minAssignments) else { continue }
            let p = RoutingStatistics.shares(byExpert[e])
            let lifts = names.indices.map { overall[$0] > 0 ? p[$0] / overall[$0] : 0 }
            let top = lifts.indices.max { lifts[$0] != lifts[$1] ? lifts[$0] < lifts[$1] : $0 > $1 } ?? 0
            out.append(
                ExpertSpecificity(
                    expert: e, assignments: n, specificity: totalVariation(p, overall), topLanguage: names[top],
                    lift: lifts[top]))
        }
        return out.sorted { $0.specificity != $1.specificity ? $0.specificity > $1.specificity : $0.expert < $1.expert }
    }
}
