import Foundation
import JSON

extension RoutingReport.Builder {
    /// 9. `--control`: each checkpoint's top-1 agreement with the last (same run) against the agreement
    /// of two independently seeded runs at the end (expert labels matched): seed_control.csv and
    /// seed-control.svg. Nil without a control checkpoint.
    func seedControl(stability: [(step: Int, value: RoutingStatistics.Stability)]) throws -> String? {
        guard let control = input.control else { return nil }
        let fmt = RoutingReport.fmt
        let ids = RoutingStatistics.frequentIds(routing, limit: input.frequentIds)
        guard input.layer < control.layers.count,
            let seeds = SeedControl.agreement(reference: routing, other: control.layers[input.layer], ids: ids)
        else { throw notSameTokens(control.path) }
        let total = Double(max(1, last.step))
        var csvText = "kind,step,percent_of_run,top1_agreement\n"
        for s in stability {
            csvText += "checkpoint_vs_last,\(s.step),\(fmt(100 * Double(s.step) / total, 1)),"
            csvText += "\(fmt(s.value.top1Agreement, 4))\n"
        }
        csvText += "two_seeds_raw,\(control.step),100,\(fmt(seeds.raw, 4))\n"
        csvText += "two_seeds_matched,\(control.step),100,\(fmt(seeds.matched, 4))\n"
        files["seed_control.csv"] = csvText
        json["seed_control"] = .object([
            "control": .string(control.path), "control_step": .int(Int64(control.step)),
            "tokens": .int(Int64(seeds.tokens)), "raw": .double(seeds.raw), "matched": .double(seeds.matched),
            "mapping": .array(seeds.mapping.map { .int(Int64($0)) }),
        ])
        let early = stability.dropLast().filter { Double($0.step) <= 0.1 * total }.first
        let holds = early.map { $0.value.top1Agreement > seeds.matched } ?? false
        let points = stability.map { (100 * Double($0.step) / total, $0.value.top1Agreement) }
        files["seed-control.svg"] = SVGChart.lines(
            title: "Routing \(holds ? "is" : "is not") fixed early: checkpoints vs the last, against two seeds",
            xLabel: "% of the run", yLabel: "top-1 unchanged (frequent ids)",
            series: [
                ("checkpoint vs last (same run)", points),
                ("two seeds, experts matched", [(0, seeds.matched), (100, seeds.matched)]),
                ("two seeds, raw labels", [(0, seeds.raw), (100, seeds.raw)]),
            ], yMax: 1)
        sections.append(
            "## Early routing learning against two seeds\n\n![seed control](seed-control.svg)\n\n"
                + "The control runs the same data with another seed; its experts are relabelled by the one-to-one "
                + "matching that agrees most with this run (\(fmt(100 * seeds.matched, 1))% matched, "
                + "\(fmt(100 * seeds.raw, 1))% with raw labels, over \(seeds.tokens) tokens of the \(ids.count) most "
                + "frequent ids). Numbers: seed_control.csv.\n")
        guard let early else {
            return "Early routing learning against two seeds: cannot be judged (no checkpoint at ≤ 10% of the run)."
        }
        return
            "Early routing learning against two seeds: \(holds ? "HOLDS" : "does NOT hold") (rule: a checkpoint at "
            + "≤ 10% of the run agrees with the last more than two independently seeded runs agree at best): at "
            + "step \(early.step) (\(fmt(100 * Double(early.step) / total, 1))% of the run) "
            + "\(fmt(100 * early.value.top1Agreement, 1))% of the frequent ids' tokens keep their top-1 expert, "
            + "vs \(fmt(100 * seeds.matched, 1))% between two seeds with matched experts "
            + "(\(fmt(100 * seeds.raw, 1))% raw)."
    }
}
