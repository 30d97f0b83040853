import PackedFormat

/// Packs examples in order, next-fit, into rows of `rowLength` tokens, as seqio's
/// `trim_and_pack_dataset` (minus its per-batch flush, which only served TF's static shapes):
/// an example that does not fit the open row closes it (padded with 0) and opens the next.
/// Examples are never split, reordered or truncated.
public struct Packer: Sendable {
    public let rowLength: Int
    private var open: PackedRow
    public private(set) var rowsEmitted = 0
    /// Non-padding tokens in emitted rows.
    public private(set) var tokensEmitted = 0
    public private(set) var paddingEmitted = 0

    public init(rowLength: Int) throws {
        // Positions and segment ids are stored as uint16.
        guard rowLength >= 1, rowLength <= Int(UInt16.max) else {
            throw MoeDataError("pack: row length \(rowLength) must be between 1 and \(UInt16.max)")
        }
        self.rowLength = rowLength
        open = Packer.emptyRow(rowLength)
    }

    /// Examples waiting in the open row.
    public var pendingExampleCount: Int { open.segments.count }

    /// Share of padding in the rows emitted so far.
    public var paddingShare: Double {
        let total = tokensEmitted + paddingEmitted
        return total == 0 ? 0 : Double(paddingEmitted) / Double(total)
    }

    /// Adds an example; returns the rows it completed (0, 1 or 2 of them).
    /// - Throws: `MoeDataError` when the example is empty, longer than a row, or its masks
    ///   do not match its tokens.
    public mutating func add(_ example: Example) throws -> [PackedRow] {
        let n = example.tokens.count
        guard n > 0 else { throw MoeDataError("pack: empty example from source '\(example.source)'") }
        guard n <= rowLength else {
            throw MoeDataError(
                "pack: example of \(n) tokens from source '\(example.source)' (\(example.objective)"
                    + "\(example.denoiser.map { ", denoiser \($0)" } ?? "")) is longer than the row length \(rowLength)")
        }
        guard example.lossMask.count == n, example.prefixFlags.count == n else {
            throw MoeDataError(
                "pack: example from source '\(example.source)' has \(n) tokens but loss mask \(example.lossMask.count) "
                    + "and prefix flags \(example.prefixFlags.count)")
        }
        var done: [PackedRow] = []
        if open.tokens.count + n > rowLength { done.append(flush()) }
        let segment = open.segments.count + 1
        open.tokens.append(contentsOf: example.tokens)
        open.lossMask.append(contentsOf: example.lossMask)
        open.prefix.append(contentsOf: example.prefixFlags)
        open.segmentIds.append(contentsOf: repeatElement(UInt16(segment), count: n))
        for p in 0..<n { open.positions.append(UInt16(truncatingIfNeeded: p)) }
        open.segments.append(SegmentProvenance(segment: segment, source: example.source, objective: example.objective,
                                               denoiser: example.denoiser, pieces: example.pieces))
        if open.tokens.count == rowLength { done.append(flush()) }
        return done
    }

    /// The last, padded row (nil when nothing is pending). Call at the end of a phase.
    public mutating func finish() -> PackedRow? {
        open.segments.isEmpty ? nil : flush()
    }

    private mutating func flush() -> PackedRow {
        var row = open
        open = Packer.emptyRow(rowLength)
        let pad = rowLength - row.tokens.count
        row.tokens.append(contentsOf: repeatElement(0, count: pad))
        row.lossMask.append(contentsOf: repeatElement(0, count: pad))
        row.prefix.append(contentsOf: repeatElement(0, count: pad))
        row.segmentIds.append(contentsOf: repeatElement(0, count: pad))
        row.positions.append(contentsOf: repeatElement(0, count: pad))
        rowsEmitted += 1
        tokensEmitted += rowLength - pad
        paddingEmitted += pad
        return row
    }

    private static func emptyRow(_ n: Int) -> PackedRow {
        var row = PackedRow(tokens: [], lossMask: [], segmentIds: [], positions: [], prefix: [])
        row.tokens.reserveCapacity(n)
        row.lossMask.reserveCapacity(n)
        row.segmentIds.reserveCapacity(n)
        row.positions.reserveCapacity(n)
        row.prefix.reserveCapacity(n)
        return row
    }
}
