/// A packed row's tokens in the compact layout (`PackedRowLayout.compact`, docs/formats.md): two
/// integers per segment instead of the four per-token columns. Provenance and phase are stored
/// alike in both layouts, so they stay outside.
///
/// The rule that links the two layouts lives here and nowhere else: segment k (from 1) covers
/// `segmentLengths[k-1]` tokens after the segments before it; within it, positions count 0, 1, ...,
/// the first `prefixLengths[k-1]` tokens have `prefix` 1 and `loss_mask` 0, and the others the
/// reverse; after the last segment, padding has every column 0. `init(compacting:)` refuses a row
/// that does not follow the rule, so a compact build expands to exactly the explicit build's rows.
public struct CompactRow: Sendable, Equatable {
    /// The row's tokens, padding (0) included: the explicit layout's `tokens` column.
    public var tokens: [UInt32]
    /// Tokens in each segment, in order.
    public var segmentLengths: [UInt16]
    /// Each segment's leading tokens with `prefix` 1 (mode token and inputs); the rest are targets.
    public var prefixLengths: [UInt16]

    public init(tokens: [UInt32], segmentLengths: [UInt16], prefixLengths: [UInt16]) {
        self.tokens = tokens
        self.segmentLengths = segmentLengths
        self.prefixLengths = prefixLengths
    }

    /// Expands the row into the explicit layout's columns, with `segments` and `origin` (which
    /// names the row in errors): the one definition of the compact layout's meaning, used by every
    /// reader (the trainer's dataset, `inspect`, `analyze`, `verify --deep`).
    /// - Throws: `PackedFormatError` naming `origin` when the two per-segment columns differ in
    ///   length, a segment is empty, a prefix is longer than its segment, or the segments hold
    ///   more tokens than the row.
    public func expanded(segments: [SegmentProvenance] = [], origin: String = "") throws -> PackedRow {
        try check(origin: origin)
        let length = tokens.count
        var lossMask = [UInt8](repeating: 0, count: length)
        var segmentIds = [UInt16](repeating: 0, count: length)
        var positions = [UInt16](repeating: 0, count: length)
        var prefix = [UInt8](repeating: 0, count: length)
        var start = 0
        for (k, (count, inputs)) in zip(segmentLengths, prefixLengths).enumerated() {
            let id = UInt16(k + 1)
            for position in 0..<Int(count) {
                let i = start + position
                segmentIds[i] = id
                positions[i] = UInt16(position)
                if position < Int(inputs) { prefix[i] = 1 } else { lossMask[i] = 1 }
            }
            start += Int(count)
        }
        return PackedRow(
            tokens: tokens, lossMask: lossMask, segmentIds: segmentIds, positions: positions, prefix: prefix,
            segments: segments, origin: origin)
    }

    /// The checks `expanded()` makes before it writes a cell.
    func check(origin: String) throws {
        guard segmentLengths.count == prefixLengths.count else {
            throw PackedFormatError(
                "\(origin): \(segmentLengths.count) segment lengths but \(prefixLengths.count) prefix lengths")
        }
        guard segmentLengths.count <= Int(UInt16.max) else {
            throw PackedFormatError("\(origin): \(segmentLengths.count) segments; segment ids are uint16")
        }
        var total = 0
        for (k, (count, inputs)) in zip(segmentLengths, prefixLengths).enumerated() {
            guard count > 0, inputs <= count else {
                throw PackedFormatError(
                    "\(origin): segment \(k + 1) has \(count) tokens and a prefix of \(inputs); "
                        + "a segment has at least 1 token and at most that many prefix tokens")
            }
            total += Int(count)
        }
        guard total <= tokens.count else {
            throw PackedFormatError("\(origin): the segments hold \(total) tokens, the row only \(tokens.count)")
        }
    }

    /// The compact form of an explicit row.
    /// - Throws: `PackedFormatError` when the row does not follow the rule above (for example a
    ///   loss mask that is not the complement of the prefix within a segment): such a row has
    ///   no compact form, and the build stops rather than write other rows than it made.
    public init(compacting row: PackedRow) throws {
        var lengths: [UInt16] = [], inputs: [UInt16] = []
        for (i, id) in row.segmentIds.enumerated() where id != 0 {
            if Int(id) > lengths.count {
                lengths.append(0)
                inputs.append(0)
            }
            lengths[lengths.count - 1] &+= 1
            if i < row.prefix.count, row.prefix[i] == 1 { inputs[inputs.count - 1] &+= 1 }
        }
        self.init(tokens: row.tokens, segmentLengths: lengths, prefixLengths: inputs)
        guard let back = try? expanded(segments: row.segments, origin: row.origin), back == row else {
            throw PackedFormatError(
                "\(row.origin.isEmpty ? "packed row" : row.origin): has no compact form (segments must be "
                    + "1, 2, ... then padding, positions count from 0 in each, and the loss mask must be "
                    + "0 on the segment's leading prefix tokens and 1 on the rest); use packed_format: explicit")
        }
    }
}
