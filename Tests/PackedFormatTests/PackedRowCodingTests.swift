import MDS
import PackedFormat
import Testing

struct PackedRowCodingTests {
    static func sample(_ row: PackedRow, phase: Int) -> [String: MDSValue] {
        let names = PackedRowLayout.explicit.storedOrder.map(\.name)
        return Dictionary(uniqueKeysWithValues: zip(names, row.values(phase: phase)))
    }

    static let row = PackedRow(
        tokens: [5, 6, 1, 0], lossMask: [0, 1, 1, 0], segmentIds: [1, 1, 1, 0], positions: [0, 1, 2, 0],
        prefix: [1, 0, 0, 0],
        segments: [
            SegmentProvenance(
                segment: 1, source: "web", objective: "ul2", denoiser: "S",
                pieces: [RawPiece(docId: "a.jsonl:3", offset: 10, count: 2)])
        ])

    @Test func rowRoundTripsThroughAnMDSSample() throws {
        let sample = Self.sample(Self.row, phase: 2)
        #expect(
            PackedRowLayout.explicit.storedOrder.map(\.name)
                == ["loss_mask", "phase", "positions", "prefix", "provenance", "segment_ids", "tokens"])
        var back = try PackedRow(sample: sample, origin: "s row 0", withProvenance: true)
        #expect(back.origin == "s row 0" && back.padding == 1 && PackedRow.phase(of: sample) == 2)
        back.origin = ""
        #expect(back == Self.row)
        #expect(try PackedRow(sample: sample, origin: "", withProvenance: false).segments.isEmpty)
    }

    @Test func missingColumnIsNamed() throws {
        var sample = Self.sample(Self.row, phase: 0)
        sample["segment_ids"] = nil
        #expect {
            try PackedRow(sample: sample, origin: "s row 4", withProvenance: false)
        } throws: { "\($0)" == "s row 4: column 'segment_ids' missing or not ndarray:uint16" }
    }
}
