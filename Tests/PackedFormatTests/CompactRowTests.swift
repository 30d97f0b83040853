import MDS
import PackedFormat
import Testing

/// The compact layout's rule (`CompactRow`) on rows made by hand; BuildCompactTests checks it on real builds.
struct CompactRowTests {
    /// A UL2 segment (mode token and inputs, then targets), a causal one, then padding.
    static let row = PackedRow(
        tokens: [7, 5, 1, 6, 1, 9, 8, 1, 0, 0],
        lossMask: [0, 0, 0, 1, 1, 1, 1, 1, 0, 0],
        segmentIds: [1, 1, 1, 1, 1, 2, 2, 2, 0, 0],
        positions: [0, 1, 2, 3, 4, 0, 1, 2, 0, 0],
        prefix: [1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
        segments: [
            SegmentProvenance(
                segment: 1, source: "web", objective: "ul2", denoiser: "S",
                pieces: [RawPiece(docId: "a", offset: 0, count: 2)]),
            SegmentProvenance(
                segment: 2, source: "code", objective: "causal", denoiser: nil,
                pieces: [RawPiece(docId: "b", offset: 4, count: 2)]),
        ])

    @Test func rowRoundTripsThroughACompactSample() throws {
        let compact = try CompactRow(compacting: Self.row)
        #expect(compact.segmentLengths == [5, 3] && compact.prefixLengths == [3, 0])
        #expect(try compact.expanded(segments: Self.row.segments) == Self.row)
        let layout = PackedRowLayout.compact
        #expect(
            layout.storedOrder.map(\.name) == ["phase", "prefix_lengths", "provenance", "segment_lengths", "tokens"])
        let values = try Self.row.values(phase: 1, layout: layout)
        let sample = Dictionary(uniqueKeysWithValues: zip(layout.storedOrder.map(\.name), values))
        #expect(sample["segment_lengths"]?.uint16s == [5, 3] && sample["tokens"]?.uint32s == Self.row.tokens)
        var back = try PackedRow(sample: sample, layout: .compact, origin: "s row 3", withProvenance: true)
        #expect(back.origin == "s row 3" && PackedRow.phase(of: sample) == 1)
        back.origin = ""
        #expect(back == Self.row)
        // Explicit rows are written as before: the layout's values equal the old call's.
        #expect(try Self.row.values(phase: 1, layout: .explicit) == Self.row.values(phase: 1))
    }

    /// A row the rule cannot describe is refused, not written differently.
    @Test func rowWithoutACompactFormIsRefused() throws {
        var lossOnInputs = Self.row
        lossOnInputs.lossMask[0] = 1
        var gapInIds = Self.row
        for i in 5..<8 { gapInIds.segmentIds[i] = 3 }
        var positionsNotRestarting = Self.row
        positionsNotRestarting.positions[5] = 5
        for (bad, what) in [(lossOnInputs, "loss"), (gapInIds, "ids"), (positionsNotRestarting, "positions")] {
            #expect(throws: PackedFormatError.self, "\(what)") { try CompactRow(compacting: bad) }
        }
    }

    /// Damaged per-segment columns are refused with a sentence naming the row.
    @Test func malformedCompactRowIsRefused() throws {
        let tokens: [UInt32] = [1, 2, 3, 4]
        let cases: [([UInt16], [UInt16], String)] = [
            ([3, 2], [0, 0], "o: the segments hold 5 tokens, the row only 4"),
            (
                [2, 0], [0, 0],
                "o: segment 2 has 0 tokens and a prefix of 0; a segment has at least 1 token and at "
                    + "most that many prefix tokens"
            ),
            (
                [2], [3],
                "o: segment 1 has 2 tokens and a prefix of 3; a segment has at least 1 token and at "
                    + "most that many prefix tokens"
            ),
            ([2], [], "o: 1 segment lengths but 0 prefix lengths"),
        ]
        for (lengths, prefixes, message) in cases {
            let row = CompactRow(tokens: tokens, segmentLengths: lengths, prefixLengths: prefixes)
            #expect { try row.expanded(origin: "o") } throws: { "\($0)" == message }
        }
    }
}
