import PackedFormat

/// The build's pack step: packs each phase's examples into rows of the phase's length and counts
/// the rows. Every row it closes comes with the packing state that makes it again on a resume.
struct PackStep {
    /// A closed row, and what regenerates it: `packerState` and the counters before it.
    struct ClosedRow {
        var row: PackedRow
        var phase: Int
        var packerState: Packer.State
        var countersBefore: [RowCounters]
    }

    let rowLengths: [Int]
    /// Phase of the open row; it lags the mixer's phase until the row is closed.
    private(set) var phase: Int
    private(set) var packer: Packer
    private(set) var counters: [RowCounters]

    init(rowLengths: [Int], phase: Int, state: Packer.State, counters: [RowCounters]) throws {
        self.rowLengths = rowLengths
        self.phase = phase
        self.counters = counters
        packer = try Packer(rowLength: rowLengths[min(phase, rowLengths.count - 1)], resumingFrom: state)
    }

    var openRowTokens: Int { packer.openRowTokens }

    /// Packs an example; returns the rows it closed. A first row is regenerated from the packer
    /// as it was before this example; a second one holds this example alone (it filled a fresh
    /// row exactly), so an empty packer regenerates it.
    mutating func add(_ example: Example) throws -> [ClosedRow] {
        let before = packer.state
        var closed: [ClosedRow] = []
        for (i, row) in try packer.add(example).enumerated() {
            closed.append(close(row, regeneratedFrom: i == 0 ? before : Packer.State()))
        }
        return closed
    }

    /// Closes the open row, padded (nil when it is empty).
    mutating func closeRow() -> ClosedRow? {
        let before = packer.state
        guard let row = packer.finish() else { return nil }
        return close(row, regeneratedFrom: before)
    }

    /// Moves on to `phase`, whose rows may have another length; the open row must be closed.
    mutating func start(phase: Int) throws {
        self.phase = phase
        if phase < rowLengths.count { packer = try Packer(rowLength: rowLengths[phase]) }
    }

    private mutating func close(_ row: PackedRow, regeneratedFrom state: Packer.State) -> ClosedRow {
        let before = counters
        let padding = row.padding
        counters[phase].rows += 1
        counters[phase].rowTokens += row.tokens.count - padding
        counters[phase].paddingTokens += padding
        return ClosedRow(row: row, phase: phase, packerState: state, countersBefore: before)
    }
}
