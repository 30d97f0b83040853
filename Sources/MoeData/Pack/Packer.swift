import PackedFormat

/// Packs examples in order, next-fit, into rows of `rowLength` tokens, as seqio's
/// `trim_and_pack_dataset` (minus its per-batch flush, which only served TF's static shapes):
/// an example that does not fit the open row closes it (padded with 0) and opens the next.
/// Examples are never split, reordered or truncated.
public struct Packer: Sendable {
    public let rowLength: Int
    /// The examples of the open row: all a resumed packer needs (the row is made from them when it closes).
    public private(set) var state = State()
    /// Tokens in the open row.
    public private(set) var openRowTokens = 0
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
    }

    /// A packer whose open row holds `state`'s examples, as a packer that was given them would.
    /// - Throws: `MoeDataError` when an example is not valid, or they fill or overflow a row.
    public init(rowLength: Int, resumingFrom state: State) throws {
        try self.init(rowLength: rowLength)
        for example in state.examples {
            try check(example)
            guard openRowTokens + example.tokens.count < rowLength else {
                throw MoeDataError("pack: the saved open row does not fit in a row of \(rowLength) tokens")
            }
            self.state.examples.append(example)
            openRowTokens += example.tokens.count
        }
    }

    /// Examples waiting in the open row.
    public var pendingExampleCount: Int { state.examples.count }

    /// Share of padding in the rows emitted so far.
    public var paddingShare: Double {
        let total = tokensEmitted + paddingEmitted
        return total == 0 ? 0 : Double(paddingEmitted) / Double(total)
    }

    /// Adds an example; returns the rows it completed (0, 1 or 2 of them).
    /// - Throws: `MoeDataError` when the example is empty, longer than a row, or its masks
    ///   do not match its tokens.
    public mutating func add(_ example: Example) throws -> [PackedRow] {
        try check(example)
        let n = example.tokens.count
        var done: [PackedRow] = []
        if openRowTokens + n > rowLength { done.append(flush()) }
        state.examples.append(example)
        openRowTokens += n
        if openRowTokens == rowLength { done.append(flush()) }
        return done
    }

    /// The last, padded row (nil when nothing is pending). Call at the end of a phase.
    public mutating func finish() -> PackedRow? {
        state.examples.isEmpty ? nil : flush()
    }

    private func check(_ example: Example) throws {
        let n = example.tokens.count
        guard n > 0 else { throw MoeDataError("pack: empty example from source '\(example.source)'") }
        guard n <= rowLength else {
            throw MoeDataError(
                "pack: example of \(n) tokens from source '\(example.source)' (\(example.objective.rawValue)"
                    + "\(example.denoiser.map { ", denoiser \($0)" } ?? "")) is longer than the row length "
                    + "\(rowLength)")
        }
        guard example.lossMask.count == n, example.prefixFlags.count == n else {
            throw MoeDataError(
                "pack: example from source '\(example.source)' has \(n) tokens but loss mask \(example.lossMask.count) "
                    + "and prefix flags \(example.prefixFlags.count)")
        }
    }

    /// Closes the open row: its examples one segment each, then padding.
    private mutating func flush() -> PackedRow {
        var row = PackedRow(tokens: [], lossMask: [], segmentIds: [], positions: [], prefix: [])
        row.tokens.reserveCapacity(rowLength)
        row.lossMask.reserveCapacity(rowLength)
        row.segmentIds.reserveCapacity(rowLength)
        row.positions.reserveCapacity(rowLength)
        row.prefix.reserveCapacity(rowLength)
        for (index, example) in state.examples.enumerated() {
            let segment = index + 1
            let n = example.tokens.count
            row.tokens.append(contentsOf: example.tokens)
            row.lossMask.append(contentsOf: example.lossMask)
            row.prefix.append(contentsOf: example.prefixFlags)
            row.segmentIds.append(contentsOf: repeatElement(UInt16(segment), count: n))
            for p in 0..<n { row.positions.append(UInt16(truncatingIfNeeded: p)) }
            row.segments.append(
                SegmentProvenance(
                    segment: segment, source: example.source,
                    objective: example.objective.rawValue,
                    denoiser: example.denoiser, pieces: example.pieces))
        }
        let pad = rowLength - row.tokens.count
        row.tokens.append(contentsOf: repeatElement(0, count: pad))
        row.lossMask.append(contentsOf: repeatElement(0, count: pad))
        row.prefix.append(contentsOf: repeatElement(0, count: pad))
        row.segmentIds.append(contentsOf: repeatElement(0, count: pad))
        row.positions.append(contentsOf: repeatElement(0, count: pad))
        state = State()
        openRowTokens = 0
        rowsEmitted += 1
        tokensEmitted += rowLength - pad
        paddingEmitted += pad
        return row
    }
}
