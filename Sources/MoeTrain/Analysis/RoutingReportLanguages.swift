import Foundation
import JSON

extension RoutingReport.Builder {
    typealias Stats = RoutingStatistics

    /// 5. Per-language expert shares of every MoE layer, and which experts are language-specific:
    /// language_shares.csv, language_experts.csv, language-shares.svg, language-experts.svg.
    /// Returns the finding.
    func languages() -> String {
        let fmt = RoutingReport.fmt
        let names = input.languageNames, layers = last.layers
        var sharesCSV = "layer,language,tokens,distance_from_overall," + experts.joined(separator: ",") + "\n"
        var layerJSON: [JSONValue] = []
        var layerRows: [(layer: Int, distance: Double, control: Double, languages: Int)] = []
        for (l, r) in layers.enumerated() {
            let (overall, rows) = LanguageStatistics.shares(r, languages: names)
            let mean = LanguageStatistics.meanDistance(rows)
            let control = LanguageStatistics.shuffledLabelDistance(r, languages: names, seed: UInt64(l))
            sharesCSV += "\(l),all,\(rows.reduce(0) { $0 + $1.tokens }),0," + csv(overall) + "\n"
            for row in rows {
                sharesCSV += "\(l),\(quoted(row.language)),\(row.tokens),\(fmt(row.distance, 5)),\(csv(row.shares))\n"
            }
            layerRows.append((l, mean, control, rows.count))
            layerJSON.append(
                .object([
                    "layer": .int(Int64(l)), "mean_distance": .double(mean),
                    "shuffled_label_distance": .double(control),
                    "overall": .array(overall.map { .double($0) }),
                    "languages": .array(
                        rows.map {
                            .object([
                                "language": .string($0.language), "tokens": .int(Int64($0.tokens)),
                                "distance": .double($0.distance), "shares": .array($0.shares.map { .double($0) }),
                            ])
                        }),
                ]))
        }
        files["language_shares.csv"] = sharesCSV
        let r = routing
        let specific = LanguageStatistics.expertSpecificity(r, languages: names, minAssignments: input.minCount)
        var expertCSV = "layer,expert,assignments,specificity,top_language,lift\n"
        for s in specific {
            expertCSV +=
                "\(input.layer),E\(s.expert),\(s.assignments),\(fmt(s.specificity, 5)),\(quoted(s.topLanguage)),"
                + "\(fmt(s.lift, 3))\n"
        }
        files["language_experts.csv"] = expertCSV
        json["languages"] = .object([
            "names": .array(names.map { .string($0) }), "layers": .array(layerJSON),
            "experts": .array(
                specific.map {
                    .object([
                        "expert": .int(Int64($0.expert)), "specificity": .double($0.specificity),
                        "top_language": .string($0.topLanguage), "lift": .double($0.lift),
                    ])
                }),
        ])
        guard let here = layerRows.first(where: { $0.layer == input.layer }), here.languages >= 2 else {
            let seen = layerRows.first?.languages ?? 0
            let finding =
                "Language specialization: cannot be judged (\(seen) language\(seen == 1 ? "" : "s") among the "
                + "analysed tokens; languages come from the documents' `language`/`lang` metadata or the "
                + "sources' `language` in the manifest)."
            sections.append("## Languages\n\n\(finding)\n")
            return finding
        }
        let holds = here.distance > 2 * here.control
        let verdict = holds ? "HOLDS" : "does NOT hold"
        let top = specific.prefix(3).map { "E\($0.expert) (\($0.topLanguage) ×\(fmt($0.lift, 2)))" }
        let finding =
            "Language specialization \(verdict) (rule: the languages' mean distance from the overall expert "
            + "distribution is more than twice that of shuffled language labels): total-variation distance "
            + "\(fmt(here.distance, 3)) vs \(fmt(here.control, 3)) shuffled, over \(here.languages) languages; "
            + "most language-specific experts: \(top.joined(separator: ", "))."
        plotLanguages(holds: holds, layerRows: layerRows, specific: specific)
        return finding
    }

    private func plotLanguages(
        holds: Bool, layerRows: [(layer: Int, distance: Double, control: Double, languages: Int)],
        specific: [LanguageStatistics.ExpertSpecificity]
    ) {
        let fmt = RoutingReport.fmt
        let (_, rows) = LanguageStatistics.shares(routing, languages: input.languageNames)
        files["language-shares.svg"] = SVGChart.bars(
            title: "Languages \(holds ? "route differently" : "route alike") (layer \(input.layer)): expert shares",
            xLabel: "expert", yLabel: "share of top-\(routing.topK) assignments", categories: experts,
            series: rows.prefix(10).map { ("\($0.language) (TV \(fmt($0.distance, 2)))", $0.shares) },
            reference: 1 / Double(routing.experts))
        let byExpert = specific.sorted { $0.expert < $1.expert }
        files["language-experts.svg"] = SVGChart.bars(
            title: "How language-specific each expert is (layer \(input.layer))", xLabel: "expert",
            yLabel: "TV distance: its tokens' languages vs all",
            categories: byExpert.map { "E\($0.expert) \($0.topLanguage)" },
            series: [("measured", byExpert.map(\.specificity))])
        var md = "## Languages\n\n![expert shares per language](language-shares.svg)\n\n"
        md += "![language-specific experts](language-experts.svg)\n\n"
        md +=
            "| MoE layer | languages | mean TV distance from overall | shuffled labels (control) |\n|---|---|---|---|\n"
        for l in layerRows {
            md += "| \(l.layer) | \(l.languages) | \(fmt(l.distance, 3)) | \(fmt(l.control, 3)) |\n"
        }
        md +=
            "\nNumbers: language_shares.csv (every layer), language_experts.csv (this layer: per expert, the TV "
            + "distance between its tokens' languages and all tokens' languages, the language it takes most "
            + "above its share, and by how much).\n"
        sections.append(md)
    }

    var experts: [String] { (0..<routing.experts).map { "E\($0)" } }

    func csv(_ values: [Double]) -> String { values.map { RoutingReport.fmt($0, 5) }.joined(separator: ",") }

    func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
