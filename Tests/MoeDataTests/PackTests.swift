import MDS
import MoeData
import PackedFormat
import Testing

@Suite struct PackTests {
    static func example(_ tokens: [UInt32], inputs: Int = 0, source: String = "web", docs: [RawPiece] = []) -> Example {
        let loss = [UInt8](repeating: 0, count: inputs) + [UInt8](repeating: 1, count: tokens.count - inputs)
        return Example(
            tokens: tokens, lossMask: loss, prefixFlags: loss.map { 1 - $0 }, source: source,
            objective: inputs > 0 ? .ul2 : .causal, denoiser: inputs > 0 ? "S" : nil, pieces: docs)
    }

    /// The model input under docs/formats.md's trainer convention (seqio's autoregressive inputs).
    static func decoderInputs(_ row: PackedRow) -> [UInt32] {
        row.positions.indices.map { i in
            row.segmentIds[i] == 0 || row.positions[i] == 0 ? 0 : row.tokens[i - 1]
        }
    }

    static func packAll(_ examples: [Example], rowLength: Int) throws -> [PackedRow] {
        var packer = try Packer(rowLength: rowLength)
        var rows: [PackedRow] = []
        for e in examples { rows += try packer.add(e) }
        if let last = packer.finish() { rows.append(last) }
        return rows
    }

    @Test func seqioLMPackingVector() throws {
        let rows = try Self.packAll([Self.example([3, 9, 1]), Self.example([4, 1])], rowLength: 6)
        try #require(rows.count == 1)
        let r = rows[0]
        #expect(r.tokens == [3, 9, 1, 4, 1, 0])
        #expect(Self.decoderInputs(r) == [0, 3, 9, 0, 4, 0])
        #expect(r.lossMask == [1, 1, 1, 1, 1, 0])
        #expect(r.positions == [0, 1, 2, 0, 1, 0])
        #expect(r.segmentIds == [1, 1, 1, 2, 2, 0])
        #expect(r.padding == 1)
    }

    @Test func seqioPrefixLMPackingVector() throws {
        // {[7,8,5,1] | [3,9,1]} and {[8,4,9,3,1] | [4,1]}, packed length 15.
        let rows = try Self.packAll(
            [
                Self.example([7, 8, 5, 1, 3, 9, 1], inputs: 4),
                Self.example([8, 4, 9, 3, 1, 4, 1], inputs: 5),
            ], rowLength: 15)
        try #require(rows.count == 1)
        let r = rows[0]
        #expect(r.tokens == [7, 8, 5, 1, 3, 9, 1, 8, 4, 9, 3, 1, 4, 1, 0])
        #expect(Self.decoderInputs(r) == [0, 7, 8, 5, 1, 3, 9, 0, 8, 4, 9, 3, 1, 4, 0])
        #expect(r.lossMask == [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0])
        #expect(r.positions == [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0])
        #expect(r.segmentIds == [UInt16](repeating: 1, count: 7) + [UInt16](repeating: 2, count: 7) + [0])
        // Our prefix flag marks the inputs; seqio's decoder_causal_attention is that plus one position.
        #expect(r.prefix == [1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0])
        let dca = r.prefix.indices.map { i in
            r.prefix[i] == 1 || (i > 0 && r.prefix[i - 1] == 1 && r.segmentIds[i] == r.segmentIds[i - 1]) ? 1 : 0
        }
        #expect(dca == [1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0])
    }

    @Test func packingPreservesTokensAndOrderAndNeverSplitsASegment() throws {
        var rng = KeyedRandom(seed: 17)
        var examples: [Example] = []
        for i in 0..<600 {
            let n = rng.int(in: 1...64)
            let inputs = rng.int(in: 0...(n - 1))
            let tokens = (0..<n).map { UInt32(3 + (i * 131 + $0) % 30_000) }
            examples.append(Self.example(tokens, inputs: inputs, docs: [RawPiece(docId: "d\(i)", offset: 0, count: n)]))
        }
        let rowLength = 64
        var packer = try Packer(rowLength: rowLength)
        var rows: [PackedRow] = []
        for e in examples { rows += try packer.add(e) }
        if let last = packer.finish() { rows.append(last) }
        #expect(packer.pendingExampleCount == 0)

        var unpacked: [Example] = []
        var padding = 0
        for (rowIndex, r) in rows.enumerated() {
            #expect(
                [r.tokens.count, r.lossMask.count, r.segmentIds.count, r.positions.count, r.prefix.count]
                    .allSatisfy { $0 == rowLength })
            let segments = Int(r.segmentIds.max() ?? 0)
            #expect(r.segments.map(\.segment) == Array(1...max(segments, 1)))
            var used = 0
            for s in 1...segments {
                let idx = r.segmentIds.indices.filter { r.segmentIds[$0] == UInt16(s) }
                // Contiguous, positions 0..<n, and in order after the previous segment.
                #expect(idx.first == used && idx.last == used + idx.count - 1)
                #expect(idx.map { Int(r.positions[$0]) } == Array(0..<idx.count))
                used += idx.count
                let seg = r.segments[s - 1]
                unpacked.append(
                    Example(
                        tokens: idx.map { r.tokens[$0] }, lossMask: idx.map { r.lossMask[$0] },
                        prefixFlags: idx.map { r.prefix[$0] }, source: seg.source,
                        objective: try #require(ObjectiveKind(rawValue: seg.objective)),
                        denoiser: seg.denoiser, pieces: seg.pieces))
            }
            // Padding only at the end: zeros everywhere.
            #expect(r.padding == rowLength - used)
            for i in used..<rowLength {
                #expect(
                    r.tokens[i] == 0 && r.segmentIds[i] == 0 && r.positions[i] == 0 && r.lossMask[i] == 0
                        && r.prefix[i] == 0)
            }
            // Next-fit: the first example of the next row would not have fit here.
            if rowIndex + 1 < rows.count, let next = rows[rowIndex + 1].segmentIds.lastIndex(of: 1) {
                #expect(used + next + 1 > rowLength)
            }
            padding += r.padding
        }
        #expect(unpacked == examples)
        #expect(packer.rowsEmitted == rows.count && packer.paddingEmitted == padding)
        #expect(abs(packer.paddingShare - Double(padding) / Double(rows.count * rowLength)) < 1e-12)
    }

    @Test func fullRowIsEmittedAtOnce() throws {
        var packer = try Packer(rowLength: 4)
        #expect(try packer.add(Self.example([5, 6])).isEmpty)
        #expect(packer.pendingExampleCount == 1)
        let rows = try packer.add(Self.example([7, 8]))
        #expect(rows.count == 1 && rows.first?.tokens == [5, 6, 7, 8] && rows.first?.padding == 0)
        #expect(packer.pendingExampleCount == 0 && packer.finish() == nil)
        // An example that does not fit closes the open row and may fill the next one.
        _ = try packer.add(Self.example([1, 2, 3]))
        let two = try packer.add(Self.example([4, 5, 6, 7]))
        #expect(two.map(\.tokens) == [[1, 2, 3, 0], [4, 5, 6, 7]])
        #expect(packer.paddingShare == 1.0 / 12.0)
    }

    @Test func provenanceListsEverySegmentsDocuments() throws {
        let a = Example(
            tokens: [3, 4, 1], lossMask: [1, 1, 1], prefixFlags: [0, 0, 0], source: "code",
            objective: .causal, denoiser: nil, pieces: [RawPiece(docId: "x.py", offset: 0, count: 2)])
        let b = Example(
            tokens: [9, 5, 1, 6, 1], lossMask: [0, 0, 0, 1, 1], prefixFlags: [1, 1, 1, 0, 0], source: "web",
            objective: .ul2, denoiser: "S",
            pieces: [
                RawPiece(docId: "w.jsonl:3", offset: 10, count: 1), RawPiece(docId: "w.jsonl:4", offset: 0, count: 1),
            ])
        let rows = try Self.packAll([a, b], rowLength: 10)
        #expect(
            rows.first?.provenance.encoded() == """
                [{"denoiser": null, "docs": [["x.py", 0, 2]], "objective": "causal", "segment": 1, "source": "code"}, \
                {"denoiser": "S", "docs": [["w.jsonl:3", 10, 1], ["w.jsonl:4", 0, 1]], "objective": "ul2", \
                "segment": 2, "source": "web"}]
                """)
    }

    @Test func badExamplesAreErrors() throws {
        var packer = try Packer(rowLength: 4)
        #expect(throws: MoeDataError.self) { try packer.add(Self.example([1, 2, 3, 4, 5])) }
        #expect(throws: MoeDataError.self) { try packer.add(Self.example([])) }
        var e = Self.example([1, 2])
        e.lossMask = [1]
        #expect(throws: MoeDataError.self) { try packer.add(e) }
        #expect(packer.pendingExampleCount == 0)
        #expect(throws: MoeDataError.self) { try Packer(rowLength: 0) }
        #expect(throws: MoeDataError.self) { try Packer(rowLength: 70_000) }
    }

    @Test func ul2ExamplesPackIntoPhaseRows() throws {
        // OpenMoE lengths: every example fits a 2048 row, and rows hold whole examples only.
        let ul2 = try ObjectiveUL2Tests.objective()
        var packer = try Packer(rowLength: 2048)
        var rows: [PackedRow] = []
        var examples: [Example] = []
        for i in UInt64(0)..<60 {
            let d = ul2.denoiserIndex(forExample: i)
            let raw = ObjectiveTestVocab.raw(ul2.rawLength(denoiser: d), seed: i)
            let e = try ul2.makeExample(
                raw: raw, pieces: [RawPiece(docId: "d\(i)", offset: 0, count: raw.count)],
                source: "web", denoiser: d, exampleIndex: i)
            examples.append(e)
            rows += try packer.add(e)
        }
        if let last = packer.finish() { rows.append(last) }
        #expect(rows.flatMap { $0.tokens.prefix(2048 - $0.padding) } == examples.flatMap(\.tokens))
        #expect(
            rows.reduce(0) { $0 + $1.lossMask.reduce(0) { $0 + Int($1) } } == examples.reduce(0) { $0 + $1.targetCount }
        )
        #expect(rows.flatMap { $0.segments.map(\.denoiser) } == examples.map(\.denoiser))
    }
}
