import Foundation
import Testing

@testable import MoeTrain

/// Synthetic routers with known answers for the routing-analysis statistics.
@Suite struct AnalysisTests {
    /// 16 ids seen at 16 positions; every position sees every id equally often. The router picks experts
    /// by `expertOf(id, position)`.
    static func synthetic(experts: Int = 8, expertOf: (Int, Int) -> Int) -> LayerRouting {
        var r = LayerRouting(experts: experts, topK: 2)
        for rep in 0..<160 {
            for pos in 0..<16 {
                let id = (rep + pos) % 16, e = expertOf(id, pos)
                r.append(
                    tokenId: Int32(id), position: Int32(pos), offset: Int32(pos), source: 0,
                    choices: [Int32(e), Int32((e + 1) % experts)], gates: [0.6, 0.3], kept: [true, true])
            }
        }
        return r
    }

    static func specializations(_ r: LayerRouting, minCount: Int = 100) -> (
        id: RoutingStatistics.Specialization, position: RoutingStatistics.Specialization
    ) {
        let byId = RoutingStatistics.countsByKey(r) { Int(r.tokenIds[$0]) }
        let byPosition = RoutingStatistics.countsByKey(r) { Int(r.positions[$0]) }
        return (
            RoutingStatistics.specialization(byId, experts: r.experts, topK: r.topK, minCount: minCount),
            RoutingStatistics.specialization(byPosition, experts: r.experts, topK: r.topK, minCount: minCount)
        )
    }

    @Test func routingByTokenIdIsIdSpecializedNotPositionSpecialized() {
        let (id, position) = Self.specializations(Self.synthetic { id, _ in id % 8 })
        #expect(id.keys == 16 && position.keys == 16)
        #expect(abs(id.meanStd - RoutingStatistics.concentratedStd(experts: 8, topK: 2)) < 1e-12)
        #expect(id.score > 0.99)
        #expect(position.meanStd < 1e-12)  // each position sees all ids, so all experts equally
        #expect(position.score < 0.05)
    }

    @Test func routingByPositionIsThePositionSpecializedOne() {
        let (id, position) = Self.specializations(Self.synthetic { _, pos in pos % 8 })
        #expect(position.score > 0.99)
        #expect(id.score < 0.05)
    }

    @Test func minimumCountFiltersRareKeys() {
        let r = Self.synthetic { id, _ in id % 8 }
        // Each id is seen 160 times: a minimum of 161 keeps none.
        #expect(Self.specializations(r, minCount: 161).id.keys == 0)
        #expect(Self.specializations(r, minCount: 160).id.keys == 16)
    }

    @Test func topTokensOfAnExpertAreTheIdsRoutedToIt() {
        let r = Self.synthetic { id, _ in id % 8 }
        let top = RoutingStatistics.topTokens(r, limit: 2, minCount: 1)
        // Expert 3 is top-1 for ids 3 and 11 and top-2 for ids 2 and 10: all seen 160 times; ties by id.
        #expect(top[3].map(\.id) == [2, 3])
        #expect(top[3].allSatisfy { $0.count == 160 && abs($0.share - 0.5) < 1e-12 })
    }

    /// The real router with all logits equal sends every token to experts 0 and 1; capacity 2.0·64/8 = 16
    /// slots each, handed out in token order, so the tokens after the 16th lose both experts.
    @Test func fixedCapacityDropsGrowWithPosition() throws {
        let n = 64, d = 4, experts = 8
        let x = [Float](repeating: 0.5, count: n * d), wr = [Float](repeating: 0, count: d * experts)
        var options = MoEOptions()
        options.capacityFactorEval = 2.0
        let routing = x.withUnsafeBufferPointer { xp in
            wr.withUnsafeBufferPointer { wp in
                Router.forward(
                    x: xp.baseAddress!, wr: wp.baseAddress!, n: n, d: d, experts: experts, topK: 2,
                    options: options, training: false)
            }
        }
        let sink = RoutingSink(layers: 1, experts: experts, topK: 2)
        sink.pending = (0..<n).map { TokenPlace(position: Int32($0), offset: Int32($0), source: 0) }
        sink.inputs = (0..<n).map { Int32($0 % 5) }
        sink.record(layer: 0, routing: routing)
        let curve = RoutingStatistics.dropCurve(sink.layers[0], bucketWidth: 8)
        let rates = curve.rates.compactMap { $0 }
        #expect(rates.count == 8)
        #expect(rates[0] == 0 && rates[1] == 0)
        #expect(rates[2...].allSatisfy { $0 == 1 })
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(RoutingStatistics.slope(curve.rates) > 0)
        #expect(abs(curve.overall - 0.75) < 1e-12)
        #expect(curve.lostAll == [0, 0, 8, 8, 8, 8, 8, 8])
    }

    static func rows() -> [AnalysisRow] {
        (0..<3).map { i in
            let docs = [
                Fixtures.doc(20, seed: UInt64(i), vocab: 23), Fixtures.doc(12, seed: UInt64(10 + i), vocab: 23),
            ]
            return AnalysisRow(row: Fixtures.row(docs, length: 40), segmentSources: [1: "web", 2: "code"])
        }
    }

    @Test func identicalCheckpointsArePerfectlyStable() throws {
        let config = Fixtures.tinyConfig(vocab: 23)
        let sources = ["web": 0, "code": 1]
        let a = try MoEModel<Float>(config: config, options: MoEOptions(), seed: 7, routerStd: 1)
        let b = try MoEModel<Float>(config: config, options: MoEOptions(), seed: 7, routerStd: 1)
        let ra = try RoutingCollector.collect(
            model: a, rows: Self.rows(), batchRows: 1, capacityFactor: 2, sourceIndex: sources)
        let rb = try RoutingCollector.collect(
            model: b, rows: Self.rows(), batchRows: 1, capacityFactor: 2, sourceIndex: sources)
        #expect(ra.count == 1 && ra[0].count == 3 * 32)
        #expect(ra[0].sources.filter { $0 == 1 }.count == 3 * 12)
        let ids = RoutingStatistics.frequentIds(ra[0], limit: 10)
        let s = try #require(RoutingStatistics.stability(reference: ra[0], other: rb[0], ids: ids))
        #expect(s.top1Agreement == 1 && s.meanTotalVariation == 0 && s.ids == 10)

        // A differently initialised router does change the routing (the measure can fail).
        let c = try MoEModel<Float>(config: config, options: MoEOptions(), seed: 8, routerStd: 1)
        let rc = try RoutingCollector.collect(
            model: c, rows: Self.rows(), batchRows: 1, capacityFactor: 2, sourceIndex: sources)
        let t = try #require(RoutingStatistics.stability(reference: ra[0], other: rc[0], ids: ids))
        #expect(t.top1Agreement < 0.9 && t.meanTotalVariation > 0.05)
    }
}

@Suite struct AnalysisReportTests {
    /// The report on an id-routed synthetic layer says the specialization holds and writes every file.
    @Test func reportStatesFindingsAndWritesPlots() throws {
        var r = AnalysisTests.synthetic { id, _ in id % 8 }
        // late positions lose their top-2
        for t in 0..<r.count where r.positions[t] >= 12 { r.kept[2 * t + 1] = false }
        let dir = try Fixtures.tempDir("analysis-report")
        let input = RoutingReportInput(
            checkpoints: [
                AnalysedCheckpoint(path: "a", step: 10, layers: [r]),
                AnalysedCheckpoint(path: "b", step: 20, layers: [r]),
            ],
            sourceNames: ["web"], domains: ["web"], layer: 0, capacityFactor: 2, minCount: 100, bucketWidth: 4,
            frequentIds: 5, rows: 1, piece: { "#\($0)" })
        let headline = try RoutingReport.write(input, to: dir)
        #expect(headline.findings[0].contains("specialization HOLDS"))
        #expect(headline.findings[1].contains("Early routing learning HOLDS"))
        #expect(headline.findings[2].contains("Drop-towards-the-end HOLDS"))
        #expect(abs(headline.dropLastQuarter - 0.5) < 1e-12 && headline.dropFirstQuarter == 0)
        for name in [
            "report.md", "report.json", "shares.csv", "specialization.svg", "stability.svg", "drop_by_position.svg",
            "top_tokens.csv",
        ] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name) missing")
        }
        let svg = try String(contentsOf: dir.appendingPathComponent("drop_by_position.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("polyline"))
    }
}

@Suite struct AnalysisCheckpointTests {
    /// `snapshotFractions` keeps checkpoints at ⌈f·steps⌉; each loads back with its step, and the last one
    /// routes exactly like the run's final checkpoint.
    @Test func trainerKeepsCheckpointsAtFractionsAndTheyLoadBack() throws {
        let fixtures = TrainerTests()
        let (dir, data) = try fixtures.dataset()
        let out = try Fixtures.tempDir("snapshots")
        defer { try? FileManager.default.removeItem(at: dir); try? FileManager.default.removeItem(at: out) }
        let trainer = try Trainer(config: fixtures.smallConfig(steps: 8), dataset: data, outDir: out, resume: false) {
            _ in
        }
        trainer.snapshotFractions = [0.1, 0.5, 1.0]
        #expect(trainer.snapshotSteps(total: 8) == [1, 4, 8])
        try trainer.run()
        var steps: [Int] = []
        var routings: [[LayerRouting]] = []
        let rows = try RoutingCollector.readRows(data, count: 4)
        for url in [1, 4, 8].map({ trainer.snapshotURL(step: $0) }) + [trainer.checkpointURL] {
            let (model, _, step) = try RoutingCollector.loadModel(checkpoint: url)
            steps.append(step)
            routings.append(
                try RoutingCollector.collect(
                    model: model, rows: rows, batchRows: 2, capacityFactor: 2, sourceIndex: [:]))
        }
        #expect(steps == [1, 4, 8, 8])
        #expect(routings[2] == routings[3])
        // fixture rows have no provenance
        #expect(routings[0][0].count > 0 && routings[0][0].sources.allSatisfy { $0 == -1 })
        let ids = RoutingStatistics.frequentIds(routings[3][0], limit: 5)
        let same = try #require(RoutingStatistics.stability(reference: routings[3][0], other: routings[2][0], ids: ids))
        #expect(same.top1Agreement == 1 && same.meanTotalVariation == 0)
    }
}
