import Foundation
import PackedFormat
import Testing

@testable import MoeData

/// The forms a build keeps in its catalog: the packer's state in the checkpoint, the per-phase
/// counters, and the objectives in the build signature. A build interrupted before an upgrade must
/// still resume, and one finished before must still be up to date.
@Suite struct BuildCheckpointTests {
    static let ul2 = Example(
        tokens: [7, 8, 1, 3, 1], lossMask: [0, 0, 0, 1, 1], prefixFlags: [1, 1, 1, 0, 0],
        source: "web", objective: .ul2, denoiser: "S",
        pieces: [RawPiece(docId: "web/a.jsonl:3", offset: 4, count: 3)])
    static let causal = Example(
        tokens: [5, 6, 1], lossMask: [1, 1, 1], prefixFlags: [0, 0, 0], source: "code",
        objective: .causal, denoiser: nil,
        pieces: [RawPiece(docId: "x.py", offset: 0, count: 2)])

    /// A packer resumed from its encoded state closes the rows the original one closes.
    @Test func aResumedPackerClosesTheSameRows() throws {
        var packer = try Packer(rowLength: 12)
        #expect(try packer.add(Self.ul2).isEmpty && packer.add(Self.causal).isEmpty)
        let saved = try JSONEncoder().encode(packer.state)
        var resumed = try Packer(rowLength: 12, resumingFrom: try JSONDecoder().decode(Packer.State.self, from: saved))
        #expect(resumed.state == packer.state && resumed.openRowTokens == 8)
        #expect(try resumed.add(Self.ul2) == packer.add(Self.ul2))
        #expect(resumed.finish() == packer.finish())
        // An open row that a fresh packer would have closed is refused.
        let full = Packer.State(examples: [Self.ul2, Self.ul2, Self.causal])
        #expect(throws: MoeDataError.self) { try Packer(rowLength: 13, resumingFrom: full) }
    }

    /// The open row as checkpoints stored it before the packer's state was Codable.
    @Test func openRowsOfEarlierCheckpointsStillDecode() throws {
        let earlier = """
            [{"tokens":[7,8,1,3,1],"lossMask":[0,0,0,1,1],"prefixFlags":[1,1,1,0,0],"source":"web","objective":"ul2",\
            "denoiser":"S","pieces":[["web/a.jsonl:3","4","3"]]},{"tokens":[5,6,1],"lossMask":[1,1,1],\
            "prefixFlags":[0,0,0],"source":"code","objective":"causal","pieces":[["x.py","0","2"]]}]
            """
        let state = try JSONDecoder().decode(Packer.State.self, from: Data(earlier.utf8))
        #expect(state.examples == [Self.ul2, Self.causal])
        let encoded = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(state))
        let expected = try JSONSerialization.jsonObject(with: Data(earlier.utf8))
        #expect(NSArray(array: try #require(encoded as? [Any])).isEqual(to: try #require(expected as? [Any])))
    }

    /// `build.summary` and the checkpoint hold one flat object per phase, whichever step counts what.
    @Test func phaseCountersStayOneFlatObject() throws {
        let earlier = """
            {"rows":3,"examples":5,"sourceTokens":900,"rowTokens":1000,"paddingTokens":24,"eosTokens":10,\
            "specialTokens":90,"examplesByDenoiser":{"S":2,"R":3}}
            """
        let counters = try JSONDecoder().decode(PhaseCounters.self, from: Data(earlier.utf8))
        #expect(counters.packing == RowCounters(rows: 3, rowTokens: 1000, paddingTokens: 24))
        #expect(
            counters.objective
                == ObjectiveCounters(
                    examples: 5, sourceTokens: 900, eosTokens: 10,
                    specialTokens: 90, examplesByDenoiser: ["S": 2, "R": 3]))
        let encoded = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(counters)) as? [String: Any]
        let expected = try JSONSerialization.jsonObject(with: Data(earlier.utf8)) as? [String: Any]
        #expect(NSDictionary(dictionary: try #require(encoded)).isEqual(to: try #require(expected)))
    }

    /// The signature hashes each objective as `ObjectiveSpec` encoded before its parameters were typed.
    @Test func objectivesAreSignedAsBefore() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func signed(_ spec: ObjectiveSpec) throws -> String {
            String(decoding: try encoder.encode(SignedObjective(spec)), as: UTF8.self)
        }
        #expect(try signed(.causal) == #"{"params":{},"type":"causal"}"#)
        #expect(
            try signed(.ul2(UL2Spec())) == #"{"params":{"inputs_length":{"int":{"_0":1024}},"#
                + #""mode_tokens":{"string":{"_0":"text"}},"targets_length":{"int":{"_0":1024}}},"type":"ul2"}"#)
        let denoisers = [
            DenoiserSpec(name: "R", kind: .span, rate: 0.1, prefix: "[NLU] ", meanSpan: 3, noiseDensity: 0.15),
            DenoiserSpec(name: "S", kind: .prefixLM, rate: 0.5, prefix: "[S2S] "),
        ]
        let custom = UL2Spec(
            inputsLength: 600, targetsLength: 400, prefixLMLength: 500, modeTokens: .reserved,
            denoisers: denoisers)
        #expect(
            try signed(.ul2(custom)) == #"{"denoisers":[{"kind":"span","meanSpan":3,"name":"R","#
                + #""noiseDensity":0.15,"prefix":"[NLU] ","rate":0.1},"#
                + #"{"kind":"prefix_lm","name":"S","prefix":"[S2S] ","rate":0.5}],"#
                + #""params":{"inputs_length":{"int":{"_0":600}},"mode_tokens":{"string":{"_0":"reserved"}},"#
                + #""prefix_lm_length":{"int":{"_0":500}},"targets_length":{"int":{"_0":400}}},"type":"ul2"}"#)
    }
}
