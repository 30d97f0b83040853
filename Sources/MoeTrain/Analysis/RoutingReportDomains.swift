import Foundation
import JSON

extension RoutingReport.Builder {
    /// 6. Per domain: the routing's deviation from all domains' and the share of special tokens, and
    /// whether the first tracks the second (the paper's explanation of the arxiv domain):
    /// special_tokens.csv and special-tokens.svg. Returns the finding.
    func specialTokens() -> String {
        let fmt = RoutingReport.fmt
        let rows = DomainSpecialization.rows(
            routing, domainOf: { self.domain($0) },
            classOf: { id in id == 0 ? nil : SpecialTokenClass.classify(self.input.piece(id)) },
            minTokens: input.minCount)
        let classes = SpecialTokenClass.allCases
        var csvText =
            "domain,tokens,special_share," + classes.map { $0.rawValue + "_share" }.joined(separator: ",")
            + ",deviation,deviation_without_special\n"
        for row in rows {
            csvText +=
                "\(quoted(row.domain)),\(row.tokens),\(fmt(row.specialShare, 5)),"
                + classes.map { fmt(row.classShares[$0] ?? 0, 5) }.joined(separator: ",")
                + ",\(fmt(row.deviation, 5)),\(fmt(row.deviationWithoutSpecial, 5))\n"
        }
        files["special_tokens.csv"] = csvText
        let rho = DomainSpecialization.spearman(rows.map(\.specialShare), rows.map(\.deviation))
        let withSpecial = rows.map(\.deviation).reduce(0, +) / Double(max(1, rows.count))
        let without = rows.map(\.deviationWithoutSpecial).reduce(0, +) / Double(max(1, rows.count))
        json["special_tokens"] = .object([
            "spearman_special_share_vs_deviation": rho.map { .double($0) } ?? .null,
            "mean_deviation": .double(withSpecial), "mean_deviation_without_special": .double(without),
            "domains": .array(
                rows.map { row in
                    .object([
                        "domain": .string(row.domain), "tokens": .int(Int64(row.tokens)),
                        "special_share": .double(row.specialShare), "deviation": .double(row.deviation),
                        "deviation_without_special": .double(row.deviationWithoutSpecial),
                        "classes": .object(
                            classes.reduce(into: [:]) { $0[$1.rawValue] = .double(row.classShares[$1] ?? 0) }),
                    ])
                }),
        ])
        let finding: String
        if let rho {
            let tracks = rho >= 0.5
            let most = rows.max { $0.deviation < $1.deviation }
            finding =
                "Domain specialization \(tracks ? "TRACKS" : "does NOT track") the share of special tokens "
                + "(rule: Spearman ρ ≥ 0.5 across domains): ρ = \(fmt(rho, 2)) over \(rows.count) domains; the most "
                + "specialized domain is \(most?.domain ?? "-") (TV distance \(fmt(most?.deviation ?? 0, 3)) from "
                + "uniform, \(fmt(100 * (most?.specialShare ?? 0), 1))% special tokens); without the special tokens "
                + "the mean distance goes from \(fmt(withSpecial, 3)) to \(fmt(without, 3))."
        } else {
            finding =
                "Domain specialization vs special tokens: cannot be judged (\(rows.count) domains with at least "
                + "\(input.minCount) tokens; a rank correlation needs 3, with differing values)."
        }
        files["special-tokens.svg"] = SVGChart.bars(
            title: "Specialization \(rho.map { $0 >= 0.5 ? "tracks" : "does not track" } ?? "vs") special tokens "
                + "(ρ = \(rho.map { fmt($0, 2) } ?? "n/a"), layer \(input.layer))",
            xLabel: "domain", yLabel: "share / TV distance", categories: rows.map(\.domain),
            series: [
                ("special-token share", rows.map(\.specialShare)), ("routing deviation", rows.map(\.deviation)),
                ("deviation, special excluded", rows.map(\.deviationWithoutSpecial)),
            ])
        sections.append(
            "## Domains and special tokens\n\n![special tokens](special-tokens.svg)\n\n"
                + "Routing deviation = total-variation distance of the domain's expert distribution from uniform "
                + "(1/E each); \"special excluded\" uses its non-special tokens only. Special classes: byte-fallback "
                + "pieces, digits, LaTeX-like pieces, punctuation and symbols (README). Numbers: special_tokens.csv.\n")
        return finding
    }

    /// 7. Neighbouring tokens share their top-1 expert, against chance and shuffled positions, per MoE
    /// layer: neighbours.csv and neighbours.svg. Returns the finding (for the report's layer).
    func neighbours() -> String {
        let fmt = RoutingReport.fmt
        let results = last.layers.enumerated().map { l, r in NeighbourStatistics.agreement(r, seed: UInt64(l)) }
        var csvText = "layer,pairs,same_top1,chance,shuffled_positions,holds\n"
        for (l, a) in results.enumerated() {
            csvText += "\(l),\(a.pairs),\(fmt(a.same, 5)),\(fmt(a.chance, 5)),\(fmt(a.shuffled, 5)),\(a.holds)\n"
        }
        files["neighbours.csv"] = csvText
        json["neighbours"] = .array(
            results.enumerated().map { l, a in
                .object([
                    "layer": .int(Int64(l)), "pairs": .int(Int64(a.pairs)), "same_top1": .double(a.same),
                    "chance": .double(a.chance), "shuffled_positions": .double(a.shuffled), "holds": .bool(a.holds),
                ])
            })
        let a = results[input.layer]
        files["neighbours.svg"] = SVGChart.bars(
            title: "Neighbouring tokens \(a.holds ? "share" : "do not share") their top-1 expert more than controls",
            xLabel: "MoE layer", yLabel: "P(top-1 of t+1 = top-1 of t)",
            categories: results.indices.map { "layer \($0)" },
            series: [
                ("neighbours", results.map(\.same)), ("shuffled positions", results.map(\.shuffled)),
                ("chance", results.map(\.chance)),
            ])
        sections.append(
            "## Neighbouring tokens\n\n![neighbours](neighbours.svg)\n\n"
                + "Pairs of consecutive tokens in one packed segment. Chance = Σ p_e² over the marginal top-1 "
                + "shares; shuffled positions = the same rate after shuffling each segment's top-1 choices (keeps "
                + "the segment's make-up, breaks its order). Numbers: neighbours.csv.\n")
        return
            "Neighbouring tokens share their top-1 expert: \(a.holds ? "HOLDS" : "does NOT hold") (rule: above "
            + "chance and more than three standard errors above shuffled positions): \(fmt(100 * a.same, 1))% of "
            + "\(a.pairs) neighbour pairs vs \(fmt(100 * a.shuffled, 1))% shuffled and "
            + "\(fmt(100 * a.chance, 1))% chance."
    }
}
