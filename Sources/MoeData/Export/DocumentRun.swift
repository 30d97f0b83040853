import PackedFormat

/// Consecutive tokens of one document in a causal row: `count` of its tokens from token `offset`,
/// then its EOS when the run ends the document. A causal row is runs back to back, then padding.
struct DocumentRun: Equatable {
    var docId: String
    var source: String
    var offset: Int
    var count: Int
    var endsDocument: Bool
    /// The run is only the EOS of the document just before it in the stream, which the provenance
    /// does not name: a chunk whose document ends overflow the row starts the next row with them.
    var endsPrevious = false

    /// Tokens the run takes in the stream, EOS included.
    var tokenCount: Int { count + (endsDocument ? 1 : 0) }

    /// The runs of a causal `row`, in order, from its provenance. The causal objective puts EOS after
    /// the last piece of each document only, so a piece ends its document when the next piece of its
    /// segment does not continue it. The one or two EOS tokens the provenance leaves open are the
    /// last piece's (when it ends its document) and, at the segment's start, the EOS of the document
    /// before it (`endsPrevious`), told apart by where the EOS tokens are. The EOS positions are
    /// checked against the tokens, so a row whose provenance does not match them is refused.
    static func runs(of row: PackedRowView, eosId: UInt32) throws -> [DocumentRun] {
        guard row.segmentLengths.count == row.segments.count else {
            throw MoeDataError(
                "\(row.origin): \(row.segmentLengths.count) segments but \(row.segments.count) provenance entries; "
                    + "rebuild the output")
        }
        var runs: [DocumentRun] = []
        var position = 0
        for (k, (segment, length)) in zip(row.segments, row.segmentLengths).enumerated() {
            let id = k + 1
            let pieces = segment.pieces
            let inner = zip(pieces, pieces.dropFirst()).filter { !continues($0, $1) }.count
            let open = length - pieces.reduce(0) { $0 + $1.count } - inner
            let eosFirst = row.tokens.uint32(position) == eosId
            let eosLast = row.tokens.uint32(position + length - 1) == eosId
            let startsWithEOS = open == 2 || open == 1 && (pieces.isEmpty || eosFirst && !eosLast)
            if startsWithEOS {
                runs.append(
                    DocumentRun(
                        docId: "", source: segment.source, offset: 0, count: 0, endsDocument: true, endsPrevious: true))
            }
            let lastEnds = open - (startsWithEOS ? 1 : 0) == 1
            var used = startsWithEOS ? 1 : 0
            for (i, piece) in pieces.enumerated() {
                let ends = i + 1 < pieces.count ? !continues(piece, pieces[i + 1]) : lastEnds
                let run = DocumentRun(
                    docId: piece.docId, source: segment.source, offset: piece.offset, count: piece.count,
                    endsDocument: ends)
                used += run.tokenCount
                guard used <= length, !ends || row.tokens.uint32(position + used - 1) == eosId else {
                    throw mismatch(row, id, "EOS expected after document \(piece.docId)")
                }
                runs.append(run)
            }
            guard used == length, !startsWithEOS || eosFirst else {
                throw mismatch(row, id, "\(length) tokens, the provenance accounts for \(used)")
            }
            position += length
        }
        return runs
    }

    /// Whether piece `b` goes on with piece `a`'s document (no EOS between them).
    private static func continues(_ a: RawPiece, _ b: RawPiece) -> Bool {
        b.docId == a.docId && b.offset == a.offset + a.count
    }

    private static func mismatch(_ row: PackedRowView, _ segment: Int, _ what: String) -> MoeDataError {
        MoeDataError(
            "\(row.origin): segment \(segment)'s provenance does not match its tokens (\(what)); rebuild the output")
    }
}
