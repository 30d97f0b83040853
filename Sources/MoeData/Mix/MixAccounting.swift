/// Realized versus target tokens per source, per phase and per window of a phase
/// (by default every 1% of the phase), built from the chunks as they are emitted.
///
/// Codable so a resumed build carries on counting where the interrupted one stopped.
public struct MixAccounting: Codable, Sendable, Equatable {
    public let schedule: MixSchedule
    public let windowsPerPhase: Int
    /// `realized[phase][source]`.
    public private(set) var realized: [[Int]]
    /// `windowRealized[phase][window][source]`.
    public private(set) var windowRealized: [[[Int]]]
    /// Source tokens recorded so far per phase.
    public private(set) var phaseConsumed: [Int]

    public init(schedule: MixSchedule, windowsPerPhase: Int = 100) {
        self.schedule = schedule
        self.windowsPerPhase = max(1, windowsPerPhase)
        let zero = Array(repeating: 0, count: schedule.sources.count)
        realized = Array(repeating: zero, count: schedule.phaseCount)
        windowRealized = schedule.budgets.map { budget in
            Array(repeating: zero, count: MixAccounting.windowCount(budget: budget, windows: max(1, windowsPerPhase)))
        }
        phaseConsumed = Array(repeating: 0, count: schedule.phaseCount)
    }

    static func windowCount(budget: Int, windows: Int) -> Int {
        let size = windowSize(budget: budget, windows: windows)
        return (budget + size - 1) / size
    }

    static func windowSize(budget: Int, windows: Int) -> Int { max(1, (budget + windows - 1) / windows) }

    public func windowSize(phase: Int) -> Int {
        MixAccounting.windowSize(budget: schedule.budgets[phase], windows: windowsPerPhase)
    }

    /// Counts a chunk's tokens; a chunk that straddles window boundaries is split across them.
    public mutating func record(_ chunk: MixedChunk) throws {
        try record(source: chunk.source, phase: chunk.phase, tokens: chunk.length)
    }

    public mutating func record(source: String, phase: Int, tokens: Int) throws {
        guard schedule.budgets.indices.contains(phase), let s = schedule.sources.firstIndex(of: source) else {
            throw MoeDataError("mix accounting: source '\(source)' / phase \(phase) is not part of the schedule")
        }
        guard phaseConsumed[phase] + tokens <= schedule.budgets[phase] else {
            throw MoeDataError(
                "mix accounting: phase \(phase) would exceed its budget of \(schedule.budgets[phase]) tokens")
        }
        realized[phase][s] += tokens
        let size = windowSize(phase: phase)
        var position = phaseConsumed[phase]
        var left = tokens
        while left > 0 {
            let w = position / size
            let k = min(left, (w + 1) * size - position)
            windowRealized[phase][w][s] += k
            position += k
            left -= k
        }
        phaseConsumed[phase] = position
    }

    /// Realized vs target of one source over a span of a phase: a row of the catalog's
    /// `mixture_realized` table, which the build records as the accounting makes them.
    public typealias Row = Catalog.MixtureRow

    /// Whole-phase rows first (one per source), then the windows reached so far, in order.
    public func rows(includeWindows: Bool = true) -> [Row] {
        var out: [Row] = []
        for p in schedule.budgets.indices {
            let end = phaseConsumed[p]
            for s in schedule.sources.indices {
                let target =
                    end == schedule.budgets[p]
                    ? schedule.targets[p][s] : schedule.target(source: s, phase: p, after: end)
                out.append(
                    Row(
                        phase: p, phaseName: schedule.phaseNames[p], window: nil, startToken: 0, endToken: end,
                        source: schedule.sources[s], targetTokens: target, realizedTokens: realized[p][s],
                        cumulativeTarget: target, cumulativeRealized: realized[p][s]))
            }
            guard includeWindows else { continue }
            let size = windowSize(phase: p)
            var cumulative = Array(repeating: 0, count: schedule.sources.count)
            for w in windowRealized[p].indices where w * size < end {
                let start = w * size
                let stop = min((w + 1) * size, end)
                for s in schedule.sources.indices {
                    cumulative[s] += windowRealized[p][w][s]
                    let t0 = schedule.target(source: s, phase: p, after: start)
                    let t1 =
                        stop == schedule.budgets[p]
                        ? schedule.targets[p][s] : schedule.target(source: s, phase: p, after: stop)
                    out.append(
                        Row(
                            phase: p, phaseName: schedule.phaseNames[p], window: w, startToken: start, endToken: stop,
                            source: schedule.sources[s], targetTokens: t1 - t0, realizedTokens: windowRealized[p][w][s],
                            cumulativeTarget: t1, cumulativeRealized: cumulative[s]))
                }
            }
        }
        return out
    }

    /// Per phase: realized and target share per source, the domain shares (code first), and the
    /// largest gap between realized and target tokens at any window end — a text for `moe-data stats`.
    public func render(domains: [String: String]) -> String {
        let all = rows()
        var text = ""
        for p in schedule.budgets.indices {
            let consumed = phaseConsumed[p]
            let status = consumed == schedule.budgets[p] ? "complete" : "\(TokenCount.grouped(consumed)) so far"
            text +=
                "Phase \(p + 1) of \(schedule.phaseCount): \(schedule.phaseNames[p]) — "
                    + "\(TokenCount.grouped(schedule.budgets[p])) source tokens (\(status))\n"
            let phaseRows = all.filter { $0.phase == p && $0.window == nil }
            let realizedByDomain = DomainShares.compute(
                phaseRows.map { ($0.source, $0.realizedTokens) }, domains: domains)
            let targetByDomain = DomainShares.compute(phaseRows.map { ($0.source, $0.targetTokens) }, domains: domains)
            text += "  domain shares, realized (target): "
            text +=
                realizedByDomain.map { d in
                    let target = targetByDomain.first { $0.domain == d.domain }?.share ?? 0
                    return "\(d.domain) \(Percent.format(d.share)) (\(Percent.format(target)))"
                }.joined(separator: " · ") + "\n"
            let windows = all.filter { $0.phase == p && $0.window != nil }
            let header = [
                "source", "domain", "target", "realized", "diff", "target tokens", "realized tokens", "max prefix gap",
            ]
            text += "  " + TextTable.row(header, widths: [-16, -14, 9, 9, 9, 17, 17, 15]) + "\n"
            for r in phaseRows.sorted(by: { ($0.targetTokens, $1.source) > ($1.targetTokens, $0.source) }) {
                let gap =
                    windows.filter { $0.source == r.source }.map { abs($0.cumulativeRealized - $0.cumulativeTarget) }
                    .max() ?? 0
                let diff = (r.realizedShare - r.targetShare) * 100
                let cells = [
                    r.source, domains[r.source] ?? "?", Percent.format(r.targetShare), Percent.format(r.realizedShare),
                    String(format: "%+.4f", diff), TokenCount.grouped(r.targetTokens),
                    TokenCount.grouped(r.realizedTokens), TokenCount.grouped(gap),
                ]
                text += "  " + TextTable.row(cells, widths: [-16, -14, 9, 9, 9, 17, 17, 15]) + "\n"
            }
        }
        return text
    }
}

/// Shares of tokens by domain; the code share always comes first (it is the number the
/// OpenMoE recipe is stated in), then the others by share, largest first.
public enum DomainShares {
    public struct Share: Sendable, Equatable {
        public var domain: String
        public var tokens: Int
        public var share: Double
    }

    public static func compute(_ tokens: [(source: String, tokens: Int)], domains: [String: String]) -> [Share] {
        var byDomain: [String: Int] = ["code": 0]
        for (source, n) in tokens { byDomain[domains[source] ?? "unknown", default: 0] += n }
        let total = byDomain.values.reduce(0, +)
        return byDomain.map {
            Share(domain: $0.key, tokens: $0.value, share: total > 0 ? Double($0.value) / Double(total) : 0)
        }
        .filter { $0.domain == "code" || $0.tokens > 0 }
        .sorted { a, b in
            if (a.domain == "code") != (b.domain == "code") { return a.domain == "code" }
            return a.tokens != b.tokens ? a.tokens > b.tokens : a.domain < b.domain
        }
    }
}

enum Percent {
    /// 0.5225 → "52.2500%": four decimals, because acceptance is stated to 0.01 points.
    static func format(_ share: Double) -> String { String(format: "%.4f%%", share * 100) }
}

extension Catalog.MixtureRow {
    public var targetShare: Double {
        endToken > startToken ? Double(targetTokens) / Double(endToken - startToken) : 0
    }
    public var realizedShare: Double {
        endToken > startToken ? Double(realizedTokens) / Double(endToken - startToken) : 0
    }
}
