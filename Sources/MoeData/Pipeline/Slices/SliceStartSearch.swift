/// Finds where a slice starts, in a simulation of the build on token counts (`CountedBuildSteps`):
/// the first row whose regenerating state has reached the slice's first source-token position.
///
/// A slice cannot start from that row's own checkpoint: the simulation knows only the lengths of
/// the examples already in the packer's open row, not their tokens. It starts from the checkpoint
/// of the row before, whose open row holds only examples of that earlier row; the slice makes that
/// row again, drops it, and every example it keeps is made from real tokens.
struct SliceStartSearch {
    /// Where the search ended.
    enum Start {
        /// The slice starts with the build's first row.
        case atFirstRow
        /// The slice starts from this checkpoint, and drops the first row it makes.
        case afterRow(BuildCheckpoint)
        /// No row reaches the slice's start: the slice is empty (the steps ran to the end).
        case empty
    }

    let bound: Int
    let slicing: BuildSlicing
    let signature: String

    init(slice: Int, slicing: BuildSlicing, signature: String) {
        bound = slicing.start(ofSlice: slice)
        self.slicing = slicing
        self.signature = signature
    }

    /// Runs `steps` to the slice's first row (or to the end, for an empty slice).
    func run(_ steps: inout CountedBuildSteps) throws -> Start {
        var previous: CountedBuildSteps.Row?
        let ranToEnd = try steps.run { row in
            if slicing.position(row.from.mixer) >= bound { return false }
            previous = row
            return true
        }
        if ranToEnd { return .empty }
        return previous.map { .afterRow(BuildCheckpoint(regenerating: $0, signature: signature)) } ?? .atFirstRow
    }
}

/// A slice's rows: drops the row made again at the start (the last row of the slice before),
/// writes the rest, and stops before the first row of the next slice.
struct SliceRowWriter: RowSink {
    var rows: RowWriteStep
    var dropFirst: Bool
    /// The next slice's first source-token position (nil for the last slice).
    let end: Int?
    let slicing: BuildSlicing
    private(set) var written = 0

    init(rows: RowWriteStep, dropFirst: Bool, slice: Int, slicing: BuildSlicing) {
        self.rows = rows
        self.dropFirst = dropFirst
        end = slice + 1 < slicing.count ? slicing.start(ofSlice: slice + 1) : nil
        self.slicing = slicing
    }

    mutating func take(_ closed: PackStep.ClosedRow, from: ResumePoint) throws -> Bool {
        if dropFirst {
            dropFirst = false
            return true
        }
        if let end, slicing.position(from.mixer) >= end { return false }
        try rows.write(closed, from: from)
        written += 1
        return true
    }
}
