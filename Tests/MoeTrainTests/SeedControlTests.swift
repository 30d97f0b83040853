import Foundation
import Testing

@testable import MoeTrain

/// The two-seed control of early routing learning: expert labels matched between runs.
@Suite struct SeedControlTests {
    /// Tokens 0..<8 repeated; `expertOf(id)` is the top-1.
    static func routing(_ expertOf: (Int) -> Int) -> LayerRouting {
        var r = LayerRouting(experts: 8, topK: 2)
        for t in 0..<400 {
            let id = t % 8, e = expertOf(id)
            r.append(
                tokenId: Int32(id), position: Int32(t % 50), offset: Int32(t), source: -1,
                choices: [Int32(e), Int32((e + 1) % 8)], gates: [0.5, 0.5], kept: [true, true])
        }
        return r
    }

    /// Another run that routes every id like this one under other expert numbers agrees fully once the
    /// labels are matched, though hardly at all with raw labels.
    @Test func relabelledRouterAgreesAfterMatching() throws {
        let a = Self.routing { $0 }, b = Self.routing { ($0 * 3 + 1) % 8 }
        let s = try #require(SeedControl.agreement(reference: a, other: b, ids: Array(0..<8)))
        #expect(s.tokens == 400 && s.matched == 1 && s.raw < 0.2)
        #expect((0..<8).allSatisfy { s.mapping[($0 * 3 + 1) % 8] == $0 })
    }

    /// A router that merges ids the other keeps apart cannot be matched fully.
    @Test func differentRoutingStaysApart() throws {
        let a = Self.routing { $0 }, b = Self.routing { $0 / 2 }
        let s = try #require(SeedControl.agreement(reference: a, other: b, ids: Array(0..<8)))
        #expect(abs(s.matched - 0.5) < 1e-12)
    }

    /// The Hungarian matching finds the best total where a greedy pick of the largest cell would not.
    @Test func matchingIsOptimal() {
        #expect(SeedControl.bestMatching([[9, 8], [8, 0]]) == [1, 0])
        #expect(SeedControl.bestMatching([[5, 4, 0], [4, 0, 0], [0, 0, 1]]) == [1, 0, 2])
    }

    /// The report's control section: a run whose earliest checkpoint already routes like its last holds
    /// against a control that routes differently.
    @Test func reportComparesCheckpointsWithTheControl() throws {
        let final = Self.routing { $0 }
        let dir = try Fixtures.tempDir("seed-control")
        defer { try? FileManager.default.removeItem(at: dir) }
        var input = RoutingReportInput(
            checkpoints: [
                AnalysedCheckpoint(path: "a5", step: 5, layers: [final]),
                AnalysedCheckpoint(path: "a100", step: 100, layers: [final]),
            ],
            sourceNames: [], domains: [], layer: 0, capacityFactor: 2, minCount: 10, bucketWidth: 16,
            frequentIds: 8, rows: 8, piece: { "#\($0)" })
        input.control = AnalysedCheckpoint(path: "b100", step: 100, layers: [Self.routing { $0 / 2 }])
        let findings = try RoutingReport.write(input, to: dir).findings
        #expect(findings.last?.hasPrefix("Early routing learning against two seeds: HOLDS") == true, "\(findings)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("seed-control.svg").path))

        input.checkpoints[0].layers = [Self.routing { ($0 + 4) % 8 }]
        let again = try RoutingReport.write(input, to: dir).findings
        #expect(again.last?.contains("does NOT hold") == true, "\(again)")
    }
}
