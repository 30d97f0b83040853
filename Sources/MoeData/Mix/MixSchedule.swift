import FileSupport

/// The integer form of a mixture: for every phase, the exact number of tokens each source
/// contributes. Everything that must agree exactly — the mixer, the plan, the realized-share
/// accounting — works from this one table.
///
/// Phase targets are `budget × weight / Σweights` rounded by largest remainder (Hamilton), so
/// they add up to the budget and each is within one token of its exact share. Weights are
/// turned into fixed-point integers first (6 decimals) so that no floating-point rounding,
/// and hence no evaluation order, can change a target.
public struct MixSchedule: Sendable, Equatable, Codable {
    /// Sources with a positive weight in some phase, sorted by name: the index space of `targets`.
    public let sources: [String]
    public let phaseNames: [String]
    public let budgets: [Int]
    /// `targets[phase][source]`: source tokens of that source in that phase.
    public let targets: [[Int]]

    /// Weights are relative numbers with up to this many decimals.
    static let weightScale = 1_000_000.0
    static let maxWeight = 1_000_000_000.0

    public init(_ mixture: Mixture) throws {
        let sources = mixture.activeSources
        guard !sources.isEmpty else { throw MoeDataError("\(mixture.file): phases: no source has a positive weight") }
        self.sources = sources
        phaseNames = mixture.phases.map(\.name)
        budgets = mixture.phases.map(\.budget)
        targets = try mixture.phases.map { phase in
            let fixed = try sources.map { source in
                try MixSchedule.fixedWeight(phase.weights.first { $0.source == source }, file: mixture.file) ?? 0
            }
            return try MixSchedule.apportion(
                budget: phase.budget, weights: fixed, file: mixture.file, keyPath: phase.keyPath)
        }
    }

    static func fixedWeight(_ w: MixtureWeight?, file: String) throws -> UInt64? {
        guard let w else { return nil }
        guard w.weight.isFinite, w.weight >= 0, w.weight <= maxWeight else {
            throw MoeDataError("\(file): \(w.keyPath): weight \(w.weight) must be a number in 0...\(Int(maxWeight))")
        }
        let fixed = UInt64((w.weight * weightScale).rounded())
        if w.weight > 0 && fixed == 0 {
            throw MoeDataError(
                "\(file): \(w.keyPath): weight \(w.weight) is below the 6-decimal resolution of weights; scale "
                    + "all weights of the phase up"
            )
        }
        return fixed
    }

    /// Largest-remainder apportionment of `budget` tokens by integer weights; ties go to the
    /// lower source index (sources are sorted by name), so the result is a pure function.
    static func apportion(budget: Int, weights: [UInt64], file: String, keyPath: String) throws -> [Int] {
        let total = weights.reduce(0, +)
        guard total > 0 else {
            throw MoeDataError(
                "\(file): \(keyPath).weights: every weight is zero; give at least one source a positive weight")
        }
        var shares: [Int] = []
        var remainders: [(remainder: UInt64, index: Int)] = []
        for (i, w) in weights.enumerated() {
            guard let (q, r) = WideArithmetic.mulDiv(UInt64(budget), w, total) else {
                throw MoeDataError("\(file): \(keyPath).budget: \(budget) tokens is too large")
            }
            shares.append(Int(q))
            if w > 0 { remainders.append((r, i)) }
        }
        let left = budget - shares.reduce(0, +)
        remainders.sort { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }
        for k in 0..<left { shares[remainders[k].index] += 1 }
        return shares
    }

    public var phaseCount: Int { budgets.count }

    /// First token (in source tokens, counted over all phases) of `phase`.
    public func phaseStart(_ phase: Int) -> Int { budgets[..<phase].reduce(0, +) }

    /// Tokens of `source` (index) consumed by the end of `phase`, counted from the start.
    public func cumulativeTarget(source: Int, throughPhase phase: Int) -> Int {
        (0...phase).reduce(0) { $0 + targets[$1][source] }
    }

    /// Target tokens of `source` after `t` tokens of `phase` (floor of the exact proportion).
    public func target(source: Int, phase: Int, after t: Int) -> Int {
        let budget = budgets[phase]
        guard budget > 0 else { return 0 }
        return Int(WideArithmetic.mulDiv(UInt64(t), UInt64(targets[phase][source]), UInt64(budget))?.quotient ?? 0)
    }

    /// A short fingerprint of the schedule, so a resume with a different mixture is refused.
    public var digest: String {
        var text = sources.joined(separator: ",") + "|"
        for (p, budget) in budgets.enumerated() {
            text += "\(phaseNames[p]):\(budget):" + targets[p].map(String.init).joined(separator: ",") + "|"
        }
        return XXH64.hex(XXH64.hash(Array(text.utf8)))
    }
}
