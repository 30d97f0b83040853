import Foundation
import JSON
import Testing

@testable import MoeTrain

/// `analyze --probe`: reading and packing the probe documents, and a synthetic router that drops more
/// on the probe than on the training rows.
@Suite struct ProbeTests {
    /// 40 rows × 64 positions; token t of a row loses its top-2 when `dropped(position)` says so.
    static func routing(dropped: (Int) -> Bool) -> LayerRouting {
        var r = LayerRouting(experts: 8, topK: 2)
        for row in 0..<40 {
            for pos in 0..<64 {
                r.append(
                    tokenId: Int32(pos % 9), position: Int32(pos), offset: Int32(pos), source: -1,
                    choices: [Int32(row % 8), Int32((row + 1) % 8)], gates: [0.5, 0.4], kept: [true, !dropped(pos)])
            }
        }
        return r
    }

    /// Training rows drop the top-2 of one token in ten; the probe drops every later-half token's top-2.
    @Test func routerThatDropsMoreOnTheProbe() {
        let training = Self.routing { $0 % 10 == 0 }
        let probe = Self.routing { $0 >= 32 }
        let c = ProbeComparison(training: training, probe: probe, bucketWidth: 16)
        #expect(abs(c.probeRate - 0.25) < 1e-12)
        // 7 of 64 positions (0, 10, ..., 60) drop one of two assignments
        #expect(abs(c.matchedTrainingRate - 7.0 / 128) < 1e-12)
        #expect(c.holds)
        #expect(c.probe.rates.compactMap { $0 } == [0, 0, 0.5, 0.5])
    }

    @Test func probeThatDropsLikeTrainingDoesNot() {
        let training = Self.routing { $0 % 10 == 0 }
        let c = ProbeComparison(training: training, probe: Self.routing { $0 % 10 == 0 }, bucketWidth: 16)
        #expect(c.probeRate == c.matchedTrainingRate)
        #expect(!c.holds)
    }

    /// The matched rate weights the training curve by where the probe's tokens are: a short probe is
    /// compared with the training rows' early positions only.
    @Test func matchedRateUsesTheProbesPositions() {
        let training = Self.routing { $0 >= 32 }
        var probe = LayerRouting(experts: 8, topK: 2)
        for pos in 0..<16 {
            probe.append(
                tokenId: 1, position: Int32(pos), offset: Int32(pos), source: -1, choices: [0, 1], gates: [0.5, 0.5],
                kept: [true, true])
        }
        let c = ProbeComparison(training: training, probe: probe, bucketWidth: 16)
        #expect(c.matchedTrainingRate == 0 && c.training.overall == 0.25)
    }

    /// Short probe documents packed into one row sit at small positions but large row offsets. A router
    /// that drops by row offset alone drops them like training rows at equal offsets (no finding), though
    /// a comparison at equal positions would call it one.
    @Test func rowOffsetsSeparateOrderFromDistribution() {
        let training = Self.routing { $0 >= 32 }
        var probe = LayerRouting(experts: 8, topK: 2)
        for offset in 0..<64 {
            probe.append(
                tokenId: 1, position: Int32(offset % 16), offset: Int32(offset), source: -1, choices: [0, 1],
                gates: [0.5, 0.5], kept: [true, offset < 32])
        }
        let byOffset = ProbeComparison(training: training, probe: probe, bucketWidth: 16, byRowOffset: true)
        #expect(byOffset.matchedTrainingRate == byOffset.probeRate && !byOffset.holds)
        let byPosition = ProbeComparison(training: training, probe: probe, bucketWidth: 16)
        #expect(byPosition.matchedTrainingRate == 0 && byPosition.holds)
    }

    @Test func probeLinesAndPacking() throws {
        let dir = try Fixtures.tempDir("probe")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("p.jsonl")
        try """
        {"instruction": "Say hi.", "response": "Hi."}

        {"text": "plain"}
        {"prompt": "Q", "output": "A"}
        """.write(to: file, atomically: true, encoding: .utf8)
        #expect(try ProbeDocuments.texts(jsonl: file) == ["Say hi.\nHi.", "plain", "Q\nA"])
        try #"{"title": "x"}"#.write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: TrainError.self) { try ProbeDocuments.texts(jsonl: file) }

        let rows = ProbeDocuments.pack([[5, 6, 7], [8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]], seqLen: 6)
        #expect(rows.count == 3)
        #expect(rows[0].row.tokens == [5, 6, 7, 8, 9, 0] && rows[0].row.segmentIds == [1, 1, 1, 2, 2, 0])
        #expect(rows[0].row.positions == [0, 1, 2, 0, 1, 0] && rows[0].row.lossMask == [1, 1, 1, 1, 1, 0])
        #expect(rows[1].row.tokens == [1, 2, 3, 4, 5, 6] && rows[2].row.tokens == [7, 8, 9, 10, 11, 0])
        #expect(rows[2].row.positions == [0, 1, 2, 3, 4, 0])
    }

    /// The report's probe section says so when the probe drops more.
    @Test func reportStatesTheProbeFinding() throws {
        let training = Self.routing { $0 % 10 == 0 }, probe = Self.routing { $0 >= 32 }
        let dir = try Fixtures.tempDir("probe-report")
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = RoutingReportInput(
            checkpoints: [AnalysedCheckpoint(path: "a", step: 1, layers: [training], probe: [probe])],
            sourceNames: [], domains: [], layer: 0, capacityFactor: 2, minCount: 10, bucketWidth: 16,
            frequentIds: 5, rows: 40, probeName: "p.jsonl", piece: { "#\($0)" })
        let findings = try RoutingReport.write(input, to: dir).findings
        #expect(findings.last?.hasPrefix("Out-of-distribution input drops more: HOLDS") == true, "\(findings)")
        let svg = try String(contentsOf: dir.appendingPathComponent("probe-drops.svg"), encoding: .utf8)
        #expect(svg.contains("Probe documents lose more") && svg.contains("probe: p.jsonl"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("probe_drops.csv").path))
    }
}
