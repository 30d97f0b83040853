import FileSupport
import Foundation
import JSON

/// One analysed checkpoint: its step and the routing of every MoE layer over the same tokens.
public struct AnalysedCheckpoint: Sendable {
    public var path: String
    public var step: Int
    public var layers: [LayerRouting]
    /// The routing of `analyze --probe`'s documents, per MoE layer (empty without a probe).
    public var probe: [LayerRouting]
    public init(path: String, step: Int, layers: [LayerRouting], probe: [LayerRouting] = []) {
        self.path = path
        self.step = step
        self.layers = layers
        self.probe = probe
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
    /// The names `LayerRouting.languages` indexes.
    public var languageNames: [String]
    /// The probe file's name, when the checkpoints carry probe routing.
    public var probeName: String?
    /// The last checkpoint of an independently seeded run over the same rows (`analyze --control`).
    public var control: AnalysedCheckpoint?

    public init(
        checkpoints: [AnalysedCheckpoint], sourceNames: [String], domains: [String], layer: Int, capacityFactor: Double,
        minCount: Int, bucketWidth: Int, frequentIds: Int, rows: Int, languageNames: [String] = [],
        probeName: String? = nil, piece: @escaping (Int) -> String
    ) {
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
        self.languageNames = languageNames
        self.probeName = probeName
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
            let layers = input.checkpoints.last?.layers.count ?? 0
            throw TrainError("--layer \(input.layer): the model has \(layers) MoE layers (0-based)")
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let report = Builder(input: input, last: last)
        let maxDeviation = report.expertShares()
        let (idSpec, posSpec) = report.specialization()
        let stability = try report.stability()
        let all = report.drops()
        let firstQ = rate(all, from: 0, to: 0.25), lastQ = rate(all, from: 0.75, to: 1)
        var findings = report.findings(
            idSpec: idSpec, posSpec: posSpec, stability: stability, drops: all,
            firstQuarter: firstQ, lastQuarter: lastQ, maxDeviation: maxDeviation)
        findings += [report.languages(), report.specialTokens(), report.neighbours()]
        if let probe = report.probe() { findings.append(probe) }
        if let control = try report.seedControl(stability: stability) { findings.append(control) }
        report.json["findings"] = .array(findings.map { .string($0) })
        report.json["settings"] = report.settings()
        report.files["report.json"] = JSONValue.object(report.json).encoded() + "\n"
        report.files["report.md"] = report.markdown(findings: findings, stability: stability)
        for (name, text) in report.files {
            try AtomicFile.write(Array(text.utf8), to: dir.appendingPathComponent(name))
        }
        return Headline(
            idSpecialization: idSpec, positionSpecialization: posSpec, stability: stability, dropOverall: all.overall,
            dropFirstQuarter: firstQ, dropLastQuarter: lastQ, findings: findings)
    }
}
