/// The statistics of OpenMoE's routing analysis ([P] §4, App. E) as small pure functions over
/// `LayerRouting`, so synthetic routers with known answers can test them directly.
///
/// "Routing distribution" of a slice = the share of its top-k assignments (before capacity drops, as
/// the router chose them) that went to each expert; it sums to 1.
public enum RoutingStatistics {
    /// Per expert, the assignments of the tokens `include` accepts.
    public static func expertCounts(_ r: LayerRouting, where include: (Int) -> Bool = { _ in true }) -> [Int] {
        var counts = [Int](repeating: 0, count: r.experts)
        for t in 0..<r.count where include(t) {
            for k in 0..<r.topK { counts[r.choice(t, k)] += 1 }
        }
        return counts
    }

    /// Counts normalised to shares (all zero when there are none).
    public static func shares(_ counts: [Int]) -> [Double] {
        let total = Double(counts.reduce(0, +))
        return counts.map { total > 0 ? Double($0) / total : 0 }
    }

    /// Per key (token id, position, …), assignments per expert; tokens whose key is nil are skipped.
    public static func countsByKey(_ r: LayerRouting, key: (Int) -> Int?) -> [Int: [Int]] {
        var out: [Int: [Int]] = [:]
        for t in 0..<r.count {
            guard let k = key(t) else { continue }
            var counts = out[k] ?? [Int](repeating: 0, count: r.experts)
            for c in 0..<r.topK { counts[r.choice(t, c)] += 1 }
            out[k] = counts
        }
        return out
    }

    /// Population standard deviation of a distribution over experts.
    public static func std(_ p: [Double]) -> Double {
        guard !p.isEmpty else { return 0 }
        let mean = p.reduce(0, +) / Double(p.count)
        return (p.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(p.count)).squareRoot()
    }

    /// The std expected when `tokens` tokens each pick `topK` distinct experts uniformly at random (each
    /// count is Binomial(tokens, k/E)); an exactly uniform distribution has std 0, so this sampling-noise
    /// floor is the fair baseline for a slice seen `tokens` times.
    public static func uniformStd(tokens: Int, experts: Int, topK: Int) -> Double {
        guard tokens > 0, experts > 0 else { return 0 }
        let e = Double(experts), k = Double(topK)
        return ((1 / e) * (1 - k / e) / (k * Double(tokens))).squareRoot()
    }

    /// The largest possible std: all of a slice's assignments on the same k experts.
    public static func concentratedStd(experts: Int, topK: Int) -> Double {
        std((0..<experts).map { $0 < topK ? 1 / Double(topK) : 0 })
    }

    /// Specialization of one kind of key (token id or position): the mean std of each key's routing
    /// distribution against the mean uniform (sampling-noise) std for the same counts and the maximum.
    public struct Specialization: Sendable, Equatable {
        public var keys: Int
        public var meanStd: Double
        public var uniformStd: Double
        public var concentratedStd: Double
        /// (meanStd − uniform) / (concentrated − uniform): 0 = as random, 1 = each key always on the same experts.
        public var score: Double {
            let span = concentratedStd - uniformStd
            return span > 0 ? (meanStd - uniformStd) / span : 0
        }
    }

    /// Only keys seen at least `minCount` times (tokens) count, as [P] App. E (> 128 occurrences).
    public static func specialization(_ counts: [Int: [Int]], experts: Int, topK: Int, minCount: Int) -> Specialization
    {
        var stds: [Double] = [], floors: [Double] = []
        for key in counts.keys.sorted() {
            guard let c = counts[key] else { continue }
            let tokens = c.reduce(0, +) / max(1, topK)
            guard tokens >= minCount else { continue }
            stds.append(std(shares(c)))
            floors.append(uniformStd(tokens: tokens, experts: experts, topK: topK))
        }
        func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }
        return Specialization(
            keys: stds.count, meanStd: mean(stds), uniformStd: mean(floors),
            concentratedStd: concentratedStd(experts: experts, topK: topK))
    }

    /// For each expert, the `limit` token ids (seen at least `minCount` times) with the most assignments
    /// to it, and the share of that id's assignments the expert got; ties by id.
    public static func topTokens(_ r: LayerRouting, limit: Int, minCount: Int) -> [[(
        id: Int, count: Int, share: Double
    )]] {
        let byId = countsByKey(r) { Int(r.tokenIds[$0]) }
        let seen = byId.filter { $0.value.reduce(0, +) / max(1, r.topK) >= minCount }
        var out: [[(id: Int, count: Int, share: Double)]] = []
        for e in 0..<r.experts {
            var rows: [(id: Int, count: Int, share: Double)] = []
            for (id, counts) in seen where counts[e] > 0 {
                let total = Double(max(1, counts.reduce(0, +)))
                rows.append((id: id, count: counts[e], share: Double(counts[e]) / total))
            }
            rows.sort { $0.count != $1.count ? $0.count > $1.count : $0.id < $1.id }
            out.append(Array(rows.prefix(limit)))
        }
        return out
    }

    /// The `limit` most frequent token ids, most frequent first (ties by id).
    public static func frequentIds(_ r: LayerRouting, limit: Int) -> [Int] {
        var freq: [Int: Int] = [:]
        for id in r.tokenIds { freq[Int(id), default: 0] += 1 }
        return freq.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit).map(\.key)
    }

    /// How much the routing of the given token ids changed between two checkpoints run over the same tokens.
    public struct Stability: Sendable, Equatable {
        /// Share of the ids' occurrences whose top-1 expert is the same in both.
        public var top1Agreement: Double
        /// Mean over the ids of the total-variation distance between their two routing distributions
        /// (0 = equal, 1 = disjoint).
        public var meanTotalVariation: Double
        public var tokens: Int
        public var ids: Int
    }

    /// Nil when the two records are not over the same token sequence (different data or rows).
    public static func stability(reference: LayerRouting, other: LayerRouting, ids: [Int]) -> Stability? {
        guard reference.tokenIds == other.tokenIds, reference.experts == other.experts, reference.topK == other.topK
        else { return nil }
        let wanted = Set(ids)
        var same = 0, total = 0
        for t in 0..<reference.count where wanted.contains(Int(reference.tokenIds[t])) {
            total += 1
            if reference.choice(t, 0) == other.choice(t, 0) { same += 1 }
        }
        let key: (LayerRouting) -> [Int: [Int]] = { r in
            countsByKey(r) { wanted.contains(Int(r.tokenIds[$0])) ? Int(r.tokenIds[$0]) : nil }
        }
        let a = key(reference), b = key(other)
        var tv = 0.0
        for id in a.keys {
            let p = shares(a[id] ?? []), q = shares(b[id] ?? [])
            tv += zip(p, q).reduce(0) { $0 + abs($1.0 - $1.1) } / 2
        }
        return Stability(
            top1Agreement: total > 0 ? Double(same) / Double(total) : 1,
            meanTotalVariation: a.isEmpty ? 0 : tv / Double(a.count), tokens: total, ids: a.count)
    }

    /// Token drops per position bucket: assignments and their drops, tokens and tokens that lost all k experts.
    public struct DropCurve: Sendable, Equatable {
        public var bucketWidth: Int
        public var assignments: [Int] = []
        public var dropped: [Int] = []
        public var tokens: [Int] = []
        public var lostAll: [Int] = []
        /// Share of assignments dropped per bucket (nil when the bucket is empty).
        public var rates: [Double?] { zip(dropped, assignments).map { $1 > 0 ? Double($0) / Double($1) : nil } }
        public var lostAllRates: [Double?] { zip(lostAll, tokens).map { $1 > 0 ? Double($0) / Double($1) : nil } }
        public var overall: Double { Double(dropped.reduce(0, +)) / Double(max(1, assignments.reduce(0, +))) }
    }

    /// `byRowOffset`: bucket by the place in the packed row (the capacity order) instead of the example position.
    public static func dropCurve(
        _ r: LayerRouting, bucketWidth: Int, byRowOffset: Bool = false,
        where include: (Int) -> Bool = { _ in true }
    ) -> DropCurve {
        var curve = DropCurve(bucketWidth: max(1, bucketWidth))
        for t in 0..<r.count where include(t) {
            let b = Int(byRowOffset ? r.offsets[t] : r.positions[t]) / curve.bucketWidth
            while curve.tokens.count <= b {
                curve.assignments.append(0); curve.dropped.append(0); curve.tokens.append(0); curve.lostAll.append(0)
            }
            var kept = 0
            for k in 0..<r.topK where r.kept[t * r.topK + k] { kept += 1 }
            curve.tokens[b] += 1
            curve.assignments[b] += r.topK
            curve.dropped[b] += r.topK - kept
            if kept == 0 { curve.lostAll[b] += 1 }
        }
        return curve
    }

    /// Least-squares slope of the bucket rates against the bucket index (a growing curve has slope > 0).
    public static func slope(_ rates: [Double?]) -> Double {
        let points = rates.enumerated().compactMap { i, r in r.map { (Double(i), $0) } }
        guard points.count >= 2 else { return 0 }
        let mx = points.reduce(0) { $0 + $1.0 } / Double(points.count),
            my = points.reduce(0) { $0 + $1.1 } / Double(points.count)
        let sxy = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) },
            sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
        return sxx > 0 ? sxy / sxx : 0
    }
}
