import Foundation
import JSON

extension RoutingReport.Builder {
    /// 8. `--probe`: the probe documents' drop rate by position next to the training rows', per MoE layer:
    /// probe_drops.csv and probe-drops.svg. Nil (no section) without a probe.
    func probe() -> String? {
        guard let name = input.probeName, last.probe.count == last.layers.count, !last.probe.isEmpty else {
            return nil
        }
        let fmt = RoutingReport.fmt
        let width = input.bucketWidth
        let results = zip(last.layers, last.probe).map {
            ProbeComparison(training: $0, probe: $1, bucketWidth: width, byRowOffset: true)
        }
        let byPosition = zip(last.layers, last.probe).map {
            ProbeComparison(training: $0, probe: $1, bucketWidth: width)
        }
        var csvText = "layer,axis,slice,bucket_start,assignments,dropped,rate\n"
        for (axis, comparisons) in [("row_offset", results), ("position", byPosition)] {
            for (l, c) in comparisons.enumerated() {
                for (slice, curve) in [("training", c.training), ("probe", c.probe)] {
                    for b in curve.assignments.indices {
                        csvText +=
                            "\(l),\(axis),\(slice),\(b * width),\(curve.assignments[b]),\(curve.dropped[b]),"
                            + "\(curve.rates[b].map { fmt($0, 4) } ?? "")\n"
                    }
                }
            }
        }
        files["probe_drops.csv"] = csvText
        json["probe"] = .object([
            "file": .string(name), "capacity_factor": .double(input.capacityFactor),
            "tokens": .int(Int64(last.probe[0].count)),
            "layers": .array(
                results.enumerated().map { l, c in
                    .object([
                        "layer": .int(Int64(l)), "probe_rate": .double(c.probeRate),
                        "matched_training_rate": .double(c.matchedTrainingRate),
                        "training_rate": .double(c.training.overall), "holds": .bool(c.holds),
                        "matched_training_rate_by_position": .double(byPosition[l].matchedTrainingRate),
                        "probe_rates": .array(c.probe.rates.map { $0.map { .double($0) } ?? .null }),
                    ])
                }),
        ])
        let c = results[input.layer]
        func points(_ curve: RoutingStatistics.DropCurve) -> [(Double, Double)] {
            curve.rates.enumerated().compactMap { b, v in v.map { (Double(b * width), $0) } }
        }
        let probeEnd = Double(c.probe.assignments.count * width)
        files["probe-drops.svg"] = SVGChart.lines(
            title: "Probe documents \(c.holds ? "lose more" : "do not lose more") assignments than training rows "
                + "(CF \(input.capacityFactor), layer \(input.layer))",
            xLabel: "offset in the packed row (bucket start)", yLabel: "drop rate",
            series: [
                ("training rows", points(c.training).filter { $0.0 < probeEnd }), ("probe: \(name)", points(c.probe)),
            ], yMax: 1)
        var md = "## Out-of-distribution probe\n\n![probe drops](probe-drops.svg)\n\n"
        md += "| MoE layer | probe drop rate | training rows at the same row offsets | at the same positions "
        md += "| training rows, all |\n|---|---|---|---|---|\n"
        for (l, r) in results.enumerated() {
            md +=
                "| \(l) | \(fmt(100 * r.probeRate, 1))% | \(fmt(100 * r.matchedTrainingRate, 1))% | "
                + "\(fmt(100 * byPosition[l].matchedTrainingRate, 1))% | \(fmt(100 * r.training.overall, 1))% |\n"
        }
        md +=
            "\nThe probe's documents are packed next-fit into rows of the training length and run in groups of "
            + "the same number of rows, so capacity is computed as for training rows. Capacity is handed out in "
            + "row order, so the verdict compares equal row offsets (short probe documents sit at small positions "
            + "but large offsets); the position-matched rate is shown too. Numbers: probe_drops.csv.\n"
        sections.append(md)
        return
            "Out-of-distribution input drops more: \(c.holds ? "HOLDS" : "does NOT hold") (rule: the probe's "
            + "drop rate exceeds the training rows' at the same row offsets by more than three standard errors): "
            + "\(fmt(100 * c.probeRate, 1))% of the probe's \(c.probeAssignments) assignments dropped vs "
            + "\(fmt(100 * c.matchedTrainingRate, 1))% for training rows at those offsets "
            + "(\(fmt(100 * byPosition[input.layer].matchedTrainingRate, 1))% at the same positions; \(name))."
    }
}
