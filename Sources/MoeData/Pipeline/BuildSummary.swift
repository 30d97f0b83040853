import Foundation

/// What `build` reports: per phase, the rows and examples made, the tokens by kind, and the
/// realized code share against its target.
extension Build {
    public struct PhaseSummary: Sendable {
        public var name: String
        public var objective: String
        public var rows = 0
        public var examples = 0
        public var sourceTokens = 0
        public var rowTokens = 0
        public var paddingTokens = 0
        public var eosTokens = 0
        public var specialTokens = 0  // sentinels, mode tokens
        public var sourceTokensBySource: [String: Int] = [:]
        public var examplesByDenoiser: [String: Int] = [:]
        public var codeShare: Double = 0
        public var targetCodeShare: Double = 0
    }

    public struct Summary: Sendable {
        public var phases: [PhaseSummary]
        public var rows: Int
        public var upToDate: Bool
        public var packedDirectory: String
        /// Rows already written when this run resumed an interrupted build (nil: not a resume).
        public var resumedAfterRows: Int?
    }

    func summary(_ counters: [PhaseCounters], accounting: MixAccounting, upToDate: Bool) -> Summary {
        let phases = mixture.phases.enumerated().map { i, p -> PhaseSummary in
            var s = PhaseSummary(name: p.name, objective: p.objective.type.rawValue)
            let made = counters[i].objective, packed = counters[i].packing
            s.rows = packed.rows; s.rowTokens = packed.rowTokens; s.paddingTokens = packed.paddingTokens
            s.examples = made.examples; s.sourceTokens = made.sourceTokens; s.eosTokens = made.eosTokens
            s.specialTokens = made.specialTokens; s.examplesByDenoiser = made.examplesByDenoiser
            for (j, source) in accounting.schedule.sources.enumerated() {
                s.sourceTokensBySource[source] = accounting.realized[i][j]
            }
            let code = accounting.schedule.sources.indices.filter { domains[accounting.schedule.sources[$0]] == "code" }
            let total = max(1, accounting.realized[i].reduce(0, +))
            s.codeShare = Double(code.reduce(0) { $0 + accounting.realized[i][$1] }) / Double(total)
            let targetTotal = max(1, accounting.schedule.targets[i].reduce(0, +))
            s.targetCodeShare = Double(code.reduce(0) { $0 + accounting.schedule.targets[i][$1] }) / Double(targetTotal)
            return s
        }
        return Summary(
            phases: phases, rows: phases.reduce(0) { $0 + $1.rows }, upToDate: upToDate,
            packedDirectory: packedDirectory.path)
    }

    /// The summary `build` prints and `stats` shows.
    public func render(_ s: Summary, accounting: MixAccounting) -> String {
        var out = "Mixture '\(mixture.name)': realized vs target source tokens per phase\n"
        out += accounting.render(domains: domains)
        out += "\nPacked rows (\(s.packedDirectory))\n"
        let rows = s.phases.map { p -> [String] in
            let rowTotal = p.rowTokens + p.paddingTokens
            return [
                p.name, p.objective, "\(p.rows)", "\(p.examples)", "\(p.sourceTokens)",
                String(format: "%.4f%%", p.codeShare * 100), String(format: "%.4f%%", p.targetCodeShare * 100),
                String(format: "%.2f%%", rowTotal > 0 ? Double(p.paddingTokens) / Double(rowTotal) * 100 : 0),
                "\(p.eosTokens)", "\(p.specialTokens)",
            ]
        }
        out += TextTable.render(
            header: [
                "phase", "objective", "rows", "examples", "source tokens", "code share",
                "target", "padding", "EOS", "mode+sentinel",
            ], rows: rows)
        for p in s.phases where !p.examplesByDenoiser.isEmpty {
            let total = max(1, p.examplesByDenoiser.values.reduce(0, +))
            out += "\nDenoisers in \(p.name) (share of examples)\n"
            let rows = p.examplesByDenoiser.keys.sorted().map { name -> [String] in
                let n = p.examplesByDenoiser[name] ?? 0
                return [name, "\(n)", String(format: "%.2f%%", Double(n) / Double(total) * 100)]
            }
            out += TextTable.render(header: ["denoiser", "examples", "share"], rows: rows)
        }
        return out
    }
}
