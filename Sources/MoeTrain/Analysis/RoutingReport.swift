import Foundation
import FileSupport
import JSON

/// One analysed checkpoint: its step and the routing of every MoE layer over the same tokens.
public struct AnalysedCheckpoint: Sendable {
    public var path: String
    public var step: Int
    public var layers: [LayerRouting]
    public init(path: String, step: Int, layers: [LayerRouting]) {
        self.path = path
        self.step = step
        self.layers = layers
    }
}

/// What the report is computed from and with which settings.
public struct RoutingReportInput {
    /// Sorted by step; the last is the model the single-checkpoint statistics describe.
    public var checkpoints: [AnalysedCheckpoint]
    public var sourceNames: [String]
    /// Domain of each source (same index); "code" counts as code, everything else as text.
    public var domains: [String]
    public var layer: Int
    public var capacityFactor: Double
    public var minCount: Int
    public var bucketWidth: Int
    public var frequentIds: Int
    public var rows: Int
    public var piece: (Int) -> String

    public init(checkpoints: [AnalysedCheckpoint], sourceNames: [String], domains: [String], layer: Int, capacityFactor: Double,
                minCount: Int, bucketWidth: Int, frequentIds: Int, rows: Int, piece: @escaping (Int) -> String) {
        self.checkpoints = checkpoints
        self.sourceNames = sourceNames
        self.domains = domains
        self.layer = layer
        self.capacityFactor = capacityFactor
        self.minCount = minCount
        self.bucketWidth = bucketWidth
        self.frequentIds = frequentIds
        self.rows = rows
        self.piece = piece
    }
}

/// Writes report.md, report.json, CSVs and SVG plots for one MoE layer.
public enum RoutingReport {
    public struct Headline: Sendable {
        public var idSpecialization: RoutingStatistics.Specialization
        public var positionSpecialization: RoutingStatistics.Specialization
        public var stability: [(step: Int, value: RoutingStatistics.Stability)]
        public var dropOverall: Double
        public var dropFirstQuarter: Double
        public var dropLastQuarter: Double
        public var findings: [String]
    }

    static func fmt(_ v: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", v) }

    /// Drop rate over the buckets in [lo, hi) fractions of the curve's length.
    static func rate(_ c: RoutingStatistics.DropCurve, from lo: Double, to hi: Double) -> Double {
        let n = c.tokens.count, a = Int(Double(n) * lo), b = max(a + 1, Int(Double(n) * hi))
        let dropped = c.dropped[a..<min(n, b)].reduce(0, +), total = c.assignments[a..<min(n, b)].reduce(0, +)
        return Double(dropped) / Double(max(1, total))
    }

    @discardableResult
    public static func write(_ input: RoutingReportInput, to dir: URL) throws -> Headline {
        guard let last = input.checkpoints.last, input.layer >= 0, input.layer < last.layers.count else {
            throw TrainError("--layer \(input.layer): the model has \(input.checkpoints.last?.layers.count ?? 0) MoE layers (0-based)")
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let r = last.layers[input.layer], E = r.experts
        func domain(_ t: Int) -> String { r.sources[t] >= 0 ? input.domains[Int(r.sources[t])] : "unknown" }
        let domainNames = Array(Set((0..<r.count).map(domain))).sorted()
        let sourceNames = input.sourceNames.enumerated().filter { i, _ in r.sources.contains(Int32(i)) }.map(\.element)
        var files: [String: String] = [:]
        var json: [String: JSONValue] = [:]
        let experts = (0..<E).map { "E\($0)" }

        // 1. Expert shares per slice.
        var shareCSV = "slice_kind,slice,tokens," + experts.joined(separator: ",") + "\n"
        var shareJSON: [String: JSONValue] = [:]
        func slices(_ kind: String, _ names: [String], _ member: @escaping (Int, String) -> Bool) -> [(name: String, values: [Double])] {
            var out: [(name: String, values: [Double])] = []
            var kindJSON: [String: JSONValue] = [:]
            for name in names {
                let tokens = (0..<r.count).filter { member($0, name) }.count
                let s = RoutingStatistics.shares(RoutingStatistics.expertCounts(r) { member($0, name) })
                shareCSV += "\(kind),\(name),\(tokens)," + s.map { fmt($0, 5) }.joined(separator: ",") + "\n"
                kindJSON[name] = .array(s.map { .double($0) })
                out.append((name, s))
            }
            shareJSON[kind] = .object(kindJSON)
            return out
        }
        let byDomain = slices("domain", domainNames) { domain($0) == $1 }
        let byCode = slices("code_vs_text", ["code", "text"]) { (domain($0) == "code") == ($1 == "code") }
        let bySource = slices("source", sourceNames) { r.sources[$0] >= 0 && input.sourceNames[Int(r.sources[$0])] == $1 }
        files["shares.csv"] = shareCSV
        json["expert_shares"] = .object(shareJSON)
        for (name, data) in [("shares-domain.svg", byDomain), ("shares-code-text.svg", byCode), ("shares-source.svg", bySource)] {
            files[name] = SVGChart.bars(title: "Share of top-\(r.topK) assignments per expert (MoE layer \(input.layer), step \(last.step))",
                                        xLabel: "expert", yLabel: "share", categories: experts, series: data, reference: 1 / Double(E))
        }
        let maxDeviation = byDomain.flatMap { $0.values.map { abs($0 - 1 / Double(E)) } }.max() ?? 0

        // 2. Context-independent specialization.
        let idCounts = RoutingStatistics.countsByKey(r) { Int(r.tokenIds[$0]) }
        let posCounts = RoutingStatistics.countsByKey(r) { Int(r.positions[$0]) }
        let idSpec = RoutingStatistics.specialization(idCounts, experts: E, topK: r.topK, minCount: input.minCount)
        let posSpec = RoutingStatistics.specialization(posCounts, experts: E, topK: r.topK, minCount: input.minCount)
        func specJSON(_ s: RoutingStatistics.Specialization) -> JSONValue {
            .object(["keys": .int(Int64(s.keys)), "mean_std": .double(s.meanStd), "uniform_std": .double(s.uniformStd),
                     "concentrated_std": .double(s.concentratedStd), "score": .double(s.score)])
        }
        json["specialization"] = .object(["token_id": specJSON(idSpec), "position": specJSON(posSpec), "min_count": .int(Int64(input.minCount))])
        files["specialization.csv"] = "key,keys,mean_std,uniform_std,concentrated_std,score\n"
            + "token_id,\(idSpec.keys),\(fmt(idSpec.meanStd, 5)),\(fmt(idSpec.uniformStd, 5)),\(fmt(idSpec.concentratedStd, 5)),\(fmt(idSpec.score, 4))\n"
            + "position,\(posSpec.keys),\(fmt(posSpec.meanStd, 5)),\(fmt(posSpec.uniformStd, 5)),\(fmt(posSpec.concentratedStd, 5)),\(fmt(posSpec.score, 4))\n"
        files["specialization.svg"] = SVGChart.bars(
            title: "Std of routing distribution (keys seen ≥ \(input.minCount) times)", xLabel: "", yLabel: "std over experts",
            categories: ["per token id", "per position"],
            series: [("measured", [idSpec.meanStd, posSpec.meanStd]), ("uniform (sampling) baseline", [idSpec.uniformStd, posSpec.uniformStd])],
            reference: idSpec.concentratedStd)
        let top = RoutingStatistics.topTokens(r, limit: 10, minCount: input.minCount)
        var topCSV = "expert,rank,token_id,piece,count,share_of_token\n"
        var topMD = "| expert | top tokens (share of the token's assignments) |\n|---|---|\n"
        for (e, list) in top.enumerated() {
            for (i, t) in list.enumerated() {
                topCSV += "\(e),\(i + 1),\(t.id),\"\(input.piece(t.id).replacingOccurrences(of: "\"", with: "\"\""))\",\(t.count),\(fmt(t.share, 4))\n"
            }
            let cells = list.map { "`\(input.piece($0.id).replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "`", with: "'"))` \(fmt($0.share, 2))" }
            topMD += "| E\(e) | \(cells.joined(separator: ", ")) |\n"
        }
        files["top_tokens.csv"] = topCSV

        // 3. Stability across checkpoints (each against the last, same tokens).
        let ids = RoutingStatistics.frequentIds(r, limit: input.frequentIds)
        var stability: [(step: Int, value: RoutingStatistics.Stability)] = []
        var stabCSV = "step,top1_agreement,mean_total_variation,tokens,ids\n"
        for c in input.checkpoints {
            guard input.layer < c.layers.count,
                  let s = RoutingStatistics.stability(reference: r, other: c.layers[input.layer], ids: ids) else {
                throw TrainError("\(c.path): its routing records are not over the same tokens as \(last.path) (different model or data?)")
            }
            stability.append((c.step, s))
            stabCSV += "\(c.step),\(fmt(s.top1Agreement, 4)),\(fmt(s.meanTotalVariation, 4)),\(s.tokens),\(s.ids)\n"
        }
        files["stability.csv"] = stabCSV
        // Where the frequent ids' tokens went at each checkpoint ([P] Fig. 11 overlays such distributions).
        let wanted = Set(ids)
        json["frequent_id_shares"] = .array(input.checkpoints.map { c in
            let l = c.layers[input.layer]
            let shares = RoutingStatistics.shares(RoutingStatistics.expertCounts(l) { wanted.contains(Int(l.tokenIds[$0])) })
            return .object(["step": .int(Int64(c.step)), "shares": .array(shares.map { .double($0) })])
        })
        json["stability"] = .array(stability.map { .object(["step": .int(Int64($0.step)), "top1_agreement": .double($0.value.top1Agreement),
                                                              "mean_total_variation": .double($0.value.meanTotalVariation)]) })
        files["stability.svg"] = SVGChart.lines(
            title: "Routing of the \(ids.count) most frequent ids vs the last checkpoint", xLabel: "training step", yLabel: "",
            series: [("top-1 unchanged", stability.map { (Double($0.step), $0.value.top1Agreement) }),
                     ("1 − TV distance", stability.map { (Double($0.step), 1 - $0.value.meanTotalVariation) })], yMax: 1)

        // 4. Drops by position, per domain.
        var dropCSV = "slice,axis,bucket_start,assignments,dropped,rate,tokens,tokens_lost_all\n"
        var dropSeries: [(name: String, points: [(Double, Double)])] = []
        var curves: [(String, RoutingStatistics.DropCurve)] = [("all", RoutingStatistics.dropCurve(r, bucketWidth: input.bucketWidth))]
        for d in domainNames { curves.append((d, RoutingStatistics.dropCurve(r, bucketWidth: input.bucketWidth) { domain($0) == d })) }
        curves.append(("all, by row offset", RoutingStatistics.dropCurve(r, bucketWidth: input.bucketWidth, byRowOffset: true)))
        var dropJSON: [String: JSONValue] = [:]
        for (name, c) in curves {
            let axis = name.hasSuffix("row offset") ? "row_offset" : "position"
            for b in c.tokens.indices {
                dropCSV += "\(name),\(axis),\(b * c.bucketWidth),\(c.assignments[b]),\(c.dropped[b]),"
                    + "\(c.rates[b].map { fmt($0, 4) } ?? ""),\(c.tokens[b]),\(c.lostAll[b])\n"
            }
            dropSeries.append((name, c.rates.enumerated().compactMap { i, v in v.map { (Double(i * c.bucketWidth), $0) } }))
            dropJSON[name] = .object(["overall": .double(c.overall), "slope_per_bucket": .double(RoutingStatistics.slope(c.rates)),
                                      "rates": .array(c.rates.map { $0.map { .double($0) } ?? .null })])
        }
        files["drop_by_position.csv"] = dropCSV
        json["drops"] = .object(["capacity_factor": .double(input.capacityFactor), "bucket_width": .int(Int64(input.bucketWidth)),
                                 "curves": .object(dropJSON)])
        files["drop_by_position.svg"] = SVGChart.lines(
            title: "Dropped top-\(r.topK) assignments by position (CF \(input.capacityFactor), layer \(input.layer))",
            xLabel: "position (bucket start)", yLabel: "drop rate", series: dropSeries, yMax: 1)

        // Findings, stated by fixed rules so they can come out either way.
        let all = curves[0].1
        let firstQ = rate(all, from: 0, to: 0.25), lastQ = rate(all, from: 0.75, to: 1)
        let early = stability.dropLast().first
        var findings: [String] = []
        let specHolds = idSpec.score > posSpec.score
        let specVerdict = idSpec.keys == 0 || posSpec.keys == 0 ? "cannot be judged (no ids or no positions pass --min-count)"
            : specHolds ? "HOLDS" : "does NOT hold"
        findings.append("Context-independent specialization \(specVerdict): per-token-id std \(fmt(idSpec.meanStd, 4)) "
            + "(uniform baseline \(fmt(idSpec.uniformStd, 4)), score \(fmt(idSpec.score, 2)), \(idSpec.keys) ids) vs per-position std "
            + "\(fmt(posSpec.meanStd, 4)) (baseline \(fmt(posSpec.uniformStd, 4)), score \(fmt(posSpec.score, 2)), \(posSpec.keys) positions).")
        if let early {
            let first = early.value, holds = first.top1Agreement >= 0.7
            findings.append("Early routing learning \(holds ? "HOLDS" : "does NOT hold") (rule: ≥ 70% of the frequent ids' tokens keep their top-1 expert "
                + "from the earliest checkpoint): at step \(early.step) of \(last.step), \(fmt(100 * first.top1Agreement, 1))% unchanged, "
                + "TV distance \(fmt(first.meanTotalVariation, 3)); chance would be ~\(fmt(100 / Double(E), 1))%.")
        } else {
            findings.append("Early routing learning: not measured (only one checkpoint given).")
        }
        let dropHolds = lastQ > firstQ
        findings.append("Drop-towards-the-end \(dropHolds ? "HOLDS" : "does NOT hold") at CF \(input.capacityFactor): "
            + "\(fmt(100 * firstQ, 1))% of assignments dropped in the first quarter of positions vs \(fmt(100 * lastQ, 1))% in the last "
            + "(overall \(fmt(100 * all.overall, 1))%).")
        findings.append("Domain shares: the largest deviation of any domain's expert share from uniform (\(fmt(1 / Double(E), 3))) is \(fmt(maxDeviation, 3)).")
        json["findings"] = .array(findings.map { .string($0) })
        json["settings"] = .object(["layer": .int(Int64(input.layer)), "capacity_factor": .double(input.capacityFactor),
                                    "rows": .int(Int64(input.rows)), "tokens": .int(Int64(r.count)), "min_count": .int(Int64(input.minCount)),
                                    "checkpoints": .array(input.checkpoints.map { .object(["path": .string($0.path), "step": .int(Int64($0.step))]) })])
        files["report.json"] = JSONValue.object(json).encoded() + "\n"

        var md = "# Routing analysis\n\n"
        md += "MoE layer \(input.layer) (0-based among MoE layers) of \(last.path) (step \(last.step)); \(input.rows) packed rows, "
            + "\(r.count) tokens, eval capacity factor \(input.capacityFactor), top-\(r.topK) of \(E) experts.\n\n## Findings\n\n"
        md += findings.map { "- \($0)" }.joined(separator: "\n") + "\n\n"
        md += "## Expert shares per domain\n\n![shares per domain](shares-domain.svg)\n\n![code vs text](shares-code-text.svg)\n\n"
            + "![per source](shares-source.svg)\n\nNumbers: shares.csv.\n\n"
        md += "## Specialization: token id vs position\n\n![specialization](specialization.svg)\n\nNumbers: specialization.csv. "
            + "The baseline is the std expected if each key's tokens picked experts uniformly at random (exact uniform gives 0); "
            + "the dashed line is the maximum (always the same \(r.topK) experts).\n\n### Top tokens per expert\n\n" + topMD + "\n"
        md += "## Routing stability across checkpoints\n\n![stability](stability.svg)\n\n| step | top-1 unchanged | TV distance |\n|---|---|---|\n"
        md += stability.map { "| \($0.step) | \(fmt(100 * $0.value.top1Agreement, 1))% | \(fmt($0.value.meanTotalVariation, 3)) |" }.joined(separator: "\n") + "\n\n"
        md += "## Drops by position\n\n![drop rate](drop_by_position.svg)\n\nNumbers: drop_by_position.csv (\"rate\" = dropped top-\(r.topK) "
            + "assignments; tokens_lost_all = tokens that lost every expert).\n"
        files["report.md"] = md
        for (name, text) in files { try AtomicFile.write(Array(text.utf8), to: dir.appendingPathComponent(name)) }
        return Headline(idSpecialization: idSpec, positionSpecialization: posSpec, stability: stability, dropOverall: all.overall,
                        dropFirstQuarter: firstQ, dropLastQuarter: lastQ, findings: findings)
    }
}
