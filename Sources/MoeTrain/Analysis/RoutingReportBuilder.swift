import Foundation
import JSON

extension RoutingReport {
    /// Computes the report one section at a time, collecting the files to write (name → text) and
    /// the keys of report.json. A class, so that the sections' closures can read its state.
    final class Builder {
        let input: RoutingReportInput
        let last: AnalysedCheckpoint
        /// The analysed layer of the last checkpoint, which the single-checkpoint statistics describe.
        let routing: LayerRouting
        let domainNames: [String]
        var files: [String: String] = [:]
        var json: [String: JSONValue] = [:]
        /// A checkpoint whose records cannot be compared with the last one's.
        func notSameTokens(_ path: String) -> TrainError {
            TrainError(
                "\(path): its routing records are not over the same tokens as \(last.path) (different model or data?)")
        }

        /// The markdown table of each expert's top tokens (computed with the specialization).
        var topTokensMarkdown = ""
        /// report.md sections of the later findings (languages, special tokens, neighbours, probe).
        var sections: [String] = []

        init(input: RoutingReportInput, last: AnalysedCheckpoint) {
            self.input = input
            self.last = last
            let routing = last.layers[input.layer]
            self.routing = routing
            domainNames = Array(
                Set((0..<routing.count).map { Self.domain(of: $0, in: routing, domains: input.domains) })
            )
            .sorted()
        }

        static func domain(of token: Int, in routing: LayerRouting, domains: [String]) -> String {
            routing.sources[token] >= 0 ? domains[Int(routing.sources[token])] : "unknown"
        }

        func domain(_ token: Int) -> String { Self.domain(of: token, in: routing, domains: input.domains) }

        /// 1. Expert shares per slice (domain, code vs text, source): shares.csv and three bar charts.
        /// Returns the largest deviation of any domain's share from uniform.
        func expertShares() -> Double {
            let r = routing, experts = (0..<r.experts).map { "E\($0)" }
            var shareCSV = "slice_kind,slice,tokens," + experts.joined(separator: ",") + "\n"
            var shareJSON: [String: JSONValue] = [:]
            func slices(
                _ kind: String, _ names: [String],
                _ member: (Int, String) -> Bool
            ) -> [(name: String, values: [Double])] {
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
            let bySource = slices("source", sourceNames()) {
                r.sources[$0] >= 0 && input.sourceNames[Int(r.sources[$0])] == $1
            }
            files["shares.csv"] = shareCSV
            json["expert_shares"] = .object(shareJSON)
            let title = "Share of top-\(r.topK) assignments per expert (MoE layer \(input.layer), step \(last.step))"
            let uniform = 1 / Double(r.experts)
            for (name, data) in [
                ("shares-domain.svg", byDomain), ("shares-code-text.svg", byCode),
                ("shares-source.svg", bySource),
            ] {
                files[name] = SVGChart.bars(
                    title: title, xLabel: "expert", yLabel: "share", categories: experts,
                    series: data, reference: uniform)
            }
            return byDomain.flatMap { $0.values.map { abs($0 - uniform) } }.max() ?? 0
        }

        /// The sources that have tokens in the analysed rows, in the order given.
        func sourceNames() -> [String] {
            input.sourceNames.enumerated().filter { i, _ in routing.sources.contains(Int32(i)) }.map(\.element)
        }

        /// 2. Context-independent specialization (per token id vs per position) and each expert's
        /// top tokens: specialization.csv/.svg, top_tokens.csv.
        func specialization() -> (id: RoutingStatistics.Specialization, position: RoutingStatistics.Specialization) {
            let r = routing, minCount = input.minCount
            let idCounts = RoutingStatistics.countsByKey(r) { Int(r.tokenIds[$0]) }
            let posCounts = RoutingStatistics.countsByKey(r) { Int(r.positions[$0]) }
            let idSpec = RoutingStatistics.specialization(
                idCounts, experts: r.experts, topK: r.topK, minCount: minCount)
            let posSpec = RoutingStatistics.specialization(
                posCounts, experts: r.experts, topK: r.topK, minCount: minCount)
            func specJSON(_ s: RoutingStatistics.Specialization) -> JSONValue {
                .object([
                    "keys": .int(Int64(s.keys)), "mean_std": .double(s.meanStd), "uniform_std": .double(s.uniformStd),
                    "concentrated_std": .double(s.concentratedStd), "score": .double(s.score),
                ])
            }
            func specCSV(_ key: String, _ s: RoutingStatistics.Specialization) -> String {
                "\(key),\(s.keys),\(fmt(s.meanStd, 5)),\(fmt(s.uniformStd, 5)),\(fmt(s.concentratedStd, 5)),"
                    + "\(fmt(s.score, 4))\n"
            }
            json["specialization"] = .object([
                "token_id": specJSON(idSpec), "position": specJSON(posSpec),
                "min_count": .int(Int64(minCount)),
            ])
            files["specialization.csv"] =
                "key,keys,mean_std,uniform_std,concentrated_std,score\n"
                + specCSV("token_id", idSpec) + specCSV("position", posSpec)
            files["specialization.svg"] = SVGChart.bars(
                title: "Std of routing distribution (keys seen ≥ \(minCount) times)", xLabel: "",
                yLabel: "std over experts",
                categories: ["per token id", "per position"],
                series: [
                    ("measured", [idSpec.meanStd, posSpec.meanStd]),
                    ("uniform (sampling) baseline", [idSpec.uniformStd, posSpec.uniformStd]),
                ],
                reference: idSpec.concentratedStd)
            topTokens()
            return (idSpec, posSpec)
        }

        /// Each expert's ten most frequent tokens: top_tokens.csv and the markdown table.
        func topTokens() {
            let top = RoutingStatistics.topTokens(routing, limit: 10, minCount: input.minCount)
            var topCSV = "expert,rank,token_id,piece,count,share_of_token\n"
            var topMD = "| expert | top tokens (share of the token's assignments) |\n|---|---|\n"
            for (e, list) in top.enumerated() {
                for (i, t) in list.enumerated() {
                    let piece = input.piece(t.id).replacingOccurrences(of: "\"", with: "\"\"")
                    topCSV += "\(e),\(i + 1),\(t.id),\"\(piece)\",\(t.count),\(fmt(t.share, 4))\n"
                }
                let cells = list.map {
                    let piece = input.piece($0.id).replacingOccurrences(of: "|", with: "\\|")
                        .replacingOccurrences(of: "`", with: "'")
                    return "`\(piece)` \(fmt($0.share, 2))"
                }
                topMD += "| E\(e) | \(cells.joined(separator: ", ")) |\n"
            }
            files["top_tokens.csv"] = topCSV
            topTokensMarkdown = topMD
        }

        /// 3. Stability across checkpoints, each against the last over the same tokens:
        /// stability.csv/.svg and where the frequent ids' tokens went at each checkpoint.
        func stability() throws -> [(step: Int, value: RoutingStatistics.Stability)] {
            let r = routing
            let ids = RoutingStatistics.frequentIds(r, limit: input.frequentIds)
            var stability: [(step: Int, value: RoutingStatistics.Stability)] = []
            var stabCSV = "step,top1_agreement,mean_total_variation,tokens,ids\n"
            for c in input.checkpoints {
                guard input.layer < c.layers.count,
                    let s = RoutingStatistics.stability(reference: r, other: c.layers[input.layer], ids: ids)
                else { throw notSameTokens(c.path) }
                stability.append((c.step, s))
                stabCSV += "\(c.step),\(fmt(s.top1Agreement, 4)),\(fmt(s.meanTotalVariation, 4)),\(s.tokens),\(s.ids)\n"
            }
            files["stability.csv"] = stabCSV
            // Where the frequent ids' tokens went at each checkpoint ([P] Fig. 11 overlays such distributions).
            let wanted = Set(ids)
            json["frequent_id_shares"] = .array(
                input.checkpoints.map { c in
                    let l = c.layers[input.layer]
                    let shares = RoutingStatistics.shares(
                        RoutingStatistics.expertCounts(l) { wanted.contains(Int(l.tokenIds[$0])) })
                    return .object(["step": .int(Int64(c.step)), "shares": .array(shares.map { .double($0) })])
                })
            json["stability"] = .array(
                stability.map {
                    .object([
                        "step": .int(Int64($0.step)), "top1_agreement": .double($0.value.top1Agreement),
                        "mean_total_variation": .double($0.value.meanTotalVariation),
                    ])
                })
            files["stability.svg"] = SVGChart.lines(
                title: "Routing of the \(ids.count) most frequent ids vs the last checkpoint", xLabel: "training step",
                yLabel: "",
                series: [
                    ("top-1 unchanged", stability.map { (Double($0.step), $0.value.top1Agreement) }),
                    ("1 − TV distance", stability.map { (Double($0.step), 1 - $0.value.meanTotalVariation) }),
                ],
                yMax: 1)
            return stability
        }

        /// 4. Drops by position, overall, per domain and by row offset: drop_by_position.csv/.svg.
        /// Returns the overall curve.
        func drops() -> RoutingStatistics.DropCurve {
            let r = routing, width = input.bucketWidth
            var dropCSV = "slice,axis,bucket_start,assignments,dropped,rate,tokens,tokens_lost_all\n"
            var dropSeries: [(name: String, points: [(Double, Double)])] = []
            var curves: [(String, RoutingStatistics.DropCurve)] = [
                ("all", RoutingStatistics.dropCurve(r, bucketWidth: width))
            ]
            for d in domainNames {
                curves.append((d, RoutingStatistics.dropCurve(r, bucketWidth: width) { domain($0) == d }))
            }
            curves.append(("all, by row offset", RoutingStatistics.dropCurve(r, bucketWidth: width, byRowOffset: true)))
            var dropJSON: [String: JSONValue] = [:]
            for (name, c) in curves {
                let axis = name.hasSuffix("row offset") ? "row_offset" : "position"
                for b in c.tokens.indices {
                    dropCSV +=
                        "\(name),\(axis),\(b * c.bucketWidth),\(c.assignments[b]),\(c.dropped[b]),"
                        + "\(c.rates[b].map { fmt($0, 4) } ?? ""),\(c.tokens[b]),\(c.lostAll[b])\n"
                }
                dropSeries.append(
                    (name, c.rates.enumerated().compactMap { i, v in v.map { (Double(i * c.bucketWidth), $0) } }))
                dropJSON[name] = .object([
                    "overall": .double(c.overall), "slope_per_bucket": .double(RoutingStatistics.slope(c.rates)),
                    "rates": .array(c.rates.map { $0.map { .double($0) } ?? .null }),
                ])
            }
            files["drop_by_position.csv"] = dropCSV
            json["drops"] = .object([
                "capacity_factor": .double(input.capacityFactor), "bucket_width": .int(Int64(width)),
                "curves": .object(dropJSON),
            ])
            files["drop_by_position.svg"] = SVGChart.lines(
                title:
                    "Dropped top-\(r.topK) assignments by position (CF \(input.capacityFactor), layer \(input.layer))",
                xLabel: "position (bucket start)", yLabel: "drop rate", series: dropSeries, yMax: 1)
            return curves[0].1
        }

        /// The findings, stated by fixed rules so they can come out either way.
        func findings(
            idSpec: RoutingStatistics.Specialization, posSpec: RoutingStatistics.Specialization,
            stability: [(step: Int, value: RoutingStatistics.Stability)], drops all: RoutingStatistics.DropCurve,
            firstQuarter firstQ: Double, lastQuarter lastQ: Double, maxDeviation: Double
        ) -> [String] {
            let experts = Double(routing.experts)
            var findings: [String] = []
            let specVerdict =
                idSpec.keys == 0 || posSpec.keys == 0
                ? "cannot be judged (no ids or no positions pass --min-count)"
                : idSpec.score > posSpec.score ? "HOLDS" : "does NOT hold"
            findings.append(
                "Context-independent specialization \(specVerdict): per-token-id std \(fmt(idSpec.meanStd, 4)) "
                    + "(uniform baseline \(fmt(idSpec.uniformStd, 4)), score \(fmt(idSpec.score, 2)), "
                    + "\(idSpec.keys) ids) vs per-position std \(fmt(posSpec.meanStd, 4)) "
                    + "(baseline \(fmt(posSpec.uniformStd, 4)), score \(fmt(posSpec.score, 2)), "
                    + "\(posSpec.keys) positions).")
            if let early = stability.dropLast().first {
                let first = early.value, holds = first.top1Agreement >= 0.7
                findings.append(
                    "Early routing learning \(holds ? "HOLDS" : "does NOT hold") (rule: ≥ 70% of the frequent "
                        + "ids' tokens keep their top-1 expert from the earliest checkpoint): at step \(early.step) of "
                        + "\(last.step), \(fmt(100 * first.top1Agreement, 1))% unchanged, TV distance "
                        + "\(fmt(first.meanTotalVariation, 3)); chance would be ~\(fmt(100 / experts, 1))%.")
            } else {
                findings.append("Early routing learning: not measured (only one checkpoint given).")
            }
            findings.append(
                "Drop-towards-the-end \(lastQ > firstQ ? "HOLDS" : "does NOT hold") at CF \(input.capacityFactor): "
                    + "\(fmt(100 * firstQ, 1))% of assignments dropped in the first quarter of positions vs "
                    + "\(fmt(100 * lastQ, 1))% in the last (overall \(fmt(100 * all.overall, 1))%).")
            findings.append(
                "Domain shares: the largest deviation of any domain's expert share from uniform "
                    + "(\(fmt(1 / experts, 3))) is \(fmt(maxDeviation, 3)).")
            return findings
        }

        /// report.json's "settings": what the report was computed from.
        func settings() -> JSONValue {
            .object([
                "layer": .int(Int64(input.layer)), "capacity_factor": .double(input.capacityFactor),
                "rows": .int(Int64(input.rows)), "tokens": .int(Int64(routing.count)),
                "min_count": .int(Int64(input.minCount)),
                "checkpoints": .array(
                    input.checkpoints.map {
                        .object(["path": .string($0.path), "step": .int(Int64($0.step))])
                    }),
            ])
        }

        /// report.md: the findings, then each section's plot and where its numbers are.
        func markdown(findings: [String], stability: [(step: Int, value: RoutingStatistics.Stability)]) -> String {
            let r = routing
            var md = "# Routing analysis\n\n"
            md +=
                "MoE layer \(input.layer) (0-based among MoE layers) of \(last.path) (step \(last.step)); "
                + "\(input.rows) packed rows, \(r.count) tokens, eval capacity factor \(input.capacityFactor), "
                + "top-\(r.topK) of \(r.experts) experts.\n\n## Findings\n\n"
            md += findings.enumerated().map { "\($0 + 1). \($1)" }.joined(separator: "\n") + "\n\n"
            md +=
                "## Expert shares per domain\n\n![shares per domain](shares-domain.svg)\n\n"
                + "![code vs text](shares-code-text.svg)\n\n![per source](shares-source.svg)\n\n"
                + "Numbers: shares.csv.\n\n"
            md +=
                "## Specialization: token id vs position\n\n![specialization](specialization.svg)\n\n"
                + "Numbers: specialization.csv. The baseline is the std expected if each key's tokens picked experts "
                + "uniformly at random (exact uniform gives 0); the dashed line is the maximum (always the same "
                + "\(r.topK) experts).\n\n### Top tokens per expert\n\n" + topTokensMarkdown + "\n"
            md +=
                "## Routing stability across checkpoints\n\n![stability](stability.svg)\n\n"
                + "| step | top-1 unchanged | TV distance |\n|---|---|---|\n"
            md +=
                stability.map {
                    "| \($0.step) | \(fmt(100 * $0.value.top1Agreement, 1))% | \(fmt($0.value.meanTotalVariation, 3)) |"
                }.joined(separator: "\n") + "\n\n"
            md +=
                "## Drops by position\n\n![drop rate](drop_by_position.svg)\n\nNumbers: drop_by_position.csv "
                + "(\"rate\" = dropped top-\(r.topK) assignments; tokens_lost_all = tokens that lost every expert).\n"
            for section in sections { md += "\n" + section }
            return md
        }
    }
}
