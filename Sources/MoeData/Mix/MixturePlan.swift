import Foundation

/// What a mixture will take from each source, computed before anything is built: per phase
/// and source the target tokens, what exists, and how many epochs that means — so a source
/// that would run out is reported by `moe-data plan`, not halfway through a build.
public struct MixturePlan: Sendable {
    public struct SourceRow: Sendable, Equatable {
        public var source: String
        public var domain: String
        public var weight: Double
        /// Tokens of the source in this phase, and its share of the phase.
        public var targetTokens: Int
        public var share: Double
        /// Tokens one epoch of the source holds.
        public var availableTokens: Int
        /// Tokens of the source used from the start through the end of this phase.
        public var cumulativeTokens: Int
        /// `cumulativeTokens / availableTokens`: passes over the source needed by the end of this phase.
        public var epochsNeeded: Double
        public var maxEpochs: Int
        /// Tokens beyond `availableTokens × maxEpochs` by the end of this phase (0 when it fits).
        public var missingTokens: Int
    }

    public struct PhaseRow: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var budget: Int
        /// First source token of the phase, counted over the whole mixture.
        public var start: Int
        public var objective: ObjectiveSpec
        public var seqLen: Int
        /// Sources with a positive weight, largest share first.
        public var sources: [SourceRow]
        /// Shares of the phase by domain, code first.
        public var domainShares: [DomainShares.Share]
    }

    public let mixture: Mixture
    public let schedule: MixSchedule
    public let phases: [PhaseRow]
    /// One sentence per source that would run out, naming the file and key to change.
    public let problems: [String]
    /// Tokens per source (one epoch) and each source's domain, as given.
    public let available: [String: Int]
    public let domains: [String: String]

    /// - Parameters:
    ///   - available: tokens per source in the manifest (one epoch); must list every source the mixture names.
    ///   - domains: domain of each source (`code`, `web`, ...), from the manifest.
    public init(mixture: Mixture, available: [String: Int], domains: [String: String]) throws {
        try mixture.validate(knownSources: Set(available.keys))
        self.mixture = mixture
        self.available = available
        self.domains = domains
        let schedule = try MixSchedule(mixture)
        self.schedule = schedule
        var cumulative = Array(repeating: 0, count: schedule.sources.count)
        var reported: Set<String> = []
        var problems: [String] = []
        var phases: [PhaseRow] = []
        for (p, phase) in mixture.phases.enumerated() {
            var rows: [SourceRow] = []
            for (s, source) in schedule.sources.enumerated() {
                cumulative[s] += schedule.targets[p][s]
                let target = schedule.targets[p][s]
                guard phase.weight(of: source) > 0 else { continue }
                let have = available[source] ?? 0
                let maxEpochs = mixture.maxEpochs(source)
                let (capacity, overflow) = have.multipliedReportingOverflow(by: maxEpochs)
                let missing = overflow ? 0 : max(0, cumulative[s] - capacity)
                rows.append(
                    SourceRow(
                        source: source, domain: domains[source] ?? "unknown", weight: phase.weight(of: source),
                        targetTokens: target, share: Double(target) / Double(phase.budget), availableTokens: have,
                        cumulativeTokens: cumulative[s],
                        epochsNeeded: have > 0 ? Double(cumulative[s]) / Double(have) : .infinity,
                        maxEpochs: maxEpochs, missingTokens: missing))
                if missing > 0 && !reported.contains(source) {
                    reported.insert(source)
                    let total = schedule.cumulativeTarget(source: s, throughPhase: schedule.phaseCount - 1)
                    let totalMissing = total - capacity
                    let key =
                        mixture.sourceOptions[source]?.keyPath
                        ?? phase.weights.first { $0.source == source }?.keyPath ?? "phases"
                    problems.append(
                        "\(mixture.file): \(key): source '\(source)' runs out in phase '\(phase.name)': "
                            + "the mixture needs \(TokenCount.grouped(total)) tokens of it, "
                            + "it has \(TokenCount.grouped(have)) "
                            + "× max_epochs \(maxEpochs) = \(TokenCount.grouped(capacity)); "
                            + "\(TokenCount.grouped(totalMissing)) tokens are missing")
                }
            }
            rows.sort { $0.targetTokens != $1.targetTokens ? $0.targetTokens > $1.targetTokens : $0.source < $1.source }
            let shares = DomainShares.compute(
                schedule.sources.indices.map { (schedule.sources[$0], schedule.targets[p][$0]) }, domains: domains)
            phases.append(
                PhaseRow(
                    index: p, name: phase.name, budget: phase.budget, start: schedule.phaseStart(p),
                    objective: phase.objective, seqLen: phase.seqLen, sources: rows, domainShares: shares))
        }
        self.phases = phases
        self.problems = problems
    }

    /// Throws when a source would run out (the build would stop there), naming file and key.
    public func check() throws {
        guard problems.isEmpty else { throw MoeDataError(failureMessage()) }
    }

    /// The table `moe-data plan` prints.
    /// - Parameter estimated: sources whose available tokens are estimates; marked `~`.
    public func render(estimated: Set<String> = []) -> String {
        var text = "Mixture \(mixture.name) (\(mixture.file))"
        if !mixture.description.isEmpty { text += ": \(mixture.description)" }
        text += "\n"
        let total = mixture.totalTokens
        text += "Total \(TokenCount.format(total)) source tokens (\(TokenCount.grouped(total)))"
        if total != mixture.declaredTotalTokens {
            text += ", scaled from \(TokenCount.format(mixture.declaredTotalTokens))"
        }
        text += "; seed \(mixture.seed); \(phases.count) phase\(phases.count == 1 ? "" : "s")\n"
        text += "Token counts are source tokens; sentinels, mode tokens, EOS and padding come on top.\n"
        let widths = [-16, -14, 8, 9, 18, 18, 8, 5]
        for ph in phases {
            text += "\nPhase \(ph.index + 1) of \(phases.count): \(ph.name) — \(TokenCount.format(ph.budget)) tokens "
            text += "[\(TokenCount.format(ph.start)) .. \(TokenCount.format(ph.start + ph.budget))), "
            text += "objective \(MixturePlan.describe(ph.objective)), seq_len \(ph.seqLen)\n"
            text +=
                "  domain shares: "
                + ph.domainShares.map { "\($0.domain) \(String(format: "%.2f%%", $0.share * 100))" }.joined(
                    separator: " · ") + "\n"
            let header = ["source", "domain", "weight", "share", "target tokens", "available", "epochs", "max"]
            text += "  " + TextTable.row(header, widths: widths) + "\n"
            for r in ph.sources {
                let epochs = r.epochsNeeded.isFinite ? String(format: "%.2f", r.epochsNeeded) : "inf"
                let cells = [
                    r.source, r.domain, MixturePlan.number(r.weight), String(format: "%.2f%%", r.share * 100),
                    TokenCount.grouped(r.targetTokens),
                    (estimated.contains(r.source) ? "~" : "") + TokenCount.grouped(r.availableTokens),
                    epochs + (r.missingTokens > 0 ? "!" : ""), String(r.maxEpochs),
                ]
                text += "  " + TextTable.row(cells, widths: widths) + "\n"
            }
        }
        text += "\n(epochs = passes over the source needed by the end of the phase; `!` = more than max_epochs)\n"
        if problems.isEmpty {
            text += "Every source has enough tokens.\n"
        } else {
            text +=
                "Problems (a build would stop; what to do is below):\n"
                + problems.map { "  - " + $0 + "\n" }.joined()
        }
        return text
    }

    static func number(_ w: Double) -> String {
        w == w.rounded() ? String(Int(w)) : String(format: "%g", w)
    }

    static func describe(_ o: ObjectiveSpec) -> String {
        switch o {
        case .causal: return "causal LM"
        case .ul2(let ul2):
            let denoisers = ul2.denoisers.map { "\($0.count) denoisers" } ?? "OpenMoE's denoisers"
            return "UL2 (inputs \(ul2.inputsLength) + targets \(ul2.targetsLength), \(denoisers), "
                + "\(ul2.modeTokens.rawValue) mode tokens)"
        }
    }
}
