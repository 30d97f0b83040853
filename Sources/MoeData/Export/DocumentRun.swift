import PackedFormat

/// Consecutive tokens of one document in a causal row: `count` of its tokens from token `offset`,
/// then its EOS when the run ends the document. A causal row is runs back to back, then padding.
struct DocumentRun: Equatable {
    var docId: String
    var source: String
    var offset: Int
    var count: Int
    var endsDocument: Bool

    /// Tokens the run takes in the stream, EOS included.
    var tokenCount: Int { count + (endsDocument ? 1 : 0) }

    /// The runs of a causal `row`, in order, from its provenance. The causal objective puts EOS after
    /// the last piece of each document only, so a piece ends its document when the next piece of its
    /// segment does not continue it, and the segment's last piece does when one token is left over.
    /// The EOS positions are checked against the tokens, so a row whose provenance does not match
    /// them is refused, naming it.
    static func runs(of row: PackedRow, eosId: UInt32) throws -> [DocumentRun] {
        var runs: [DocumentRun] = []
        var position = 0
        for (k, segment) in row.segments.enumerated() {
            let id = UInt16(k + 1)
            let length = row.segmentIds[position...].prefix { $0 == id }.count
            var used = 0
            for (i, piece) in segment.pieces.enumerated() {
                var ends: Bool
                if i + 1 < segment.pieces.count {
                    let next = segment.pieces[i + 1]
                    ends = next.docId != piece.docId || next.offset != piece.offset + piece.count
                } else {
                    ends = length - used - piece.count == 1
                }
                let run = DocumentRun(
                    docId: piece.docId, source: segment.source, offset: piece.offset, count: piece.count,
                    endsDocument: ends)
                used += run.tokenCount
                guard used <= length, !ends || row.tokens[position + used - 1] == eosId else {
                    throw MoeDataError(
                        "\(row.origin): segment \(id)'s provenance does not match its tokens (EOS expected after "
                            + "document \(piece.docId)); rebuild the output")
                }
                runs.append(run)
            }
            guard used == length else {
                throw MoeDataError(
                    "\(row.origin): segment \(id) holds \(length) tokens, its provenance accounts for \(used); "
                        + "rebuild the output")
            }
            position += length
        }
        return runs
    }
}
