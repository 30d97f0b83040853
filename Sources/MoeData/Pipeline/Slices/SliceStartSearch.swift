/// Finds where a slice starts, in a simulation of the build (`BuildSteps` over document lengths):
/// the first row whose regenerating state has reached the slice's first source-token position.
///
/// A slice cannot start from that row's own checkpoint: the examples already in the packer's open
/// row are zeros in a simulation. It starts from the checkpoint of the row before, whose open row
/// holds only examples of that earlier row; the slice makes that row again, drops it, and every
/// example it keeps is made from real tokens.
struct SliceStartSearch: RowSink {
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
    /// The checkpoint regenerating the last row seen before the bound.
    private(set) var previous: BuildCheckpoint?
    private(set) var reached = false

    init(slice: Int, slicing: BuildSlicing, signature: String) {
        bound = slicing.start(ofSlice: slice)
        self.slicing = slicing
        self.signature = signature
    }

    mutating func take(_ closed: PackStep.ClosedRow, from: ResumePoint) throws -> Bool {
        if slicing.position(from.mixer) >= bound {
            reached = true
            return false
        }
        previous = BuildCheckpoint(regenerating: closed, from: from, signature: signature)
        return true
    }

    var start: Start {
        guard reached else { return .empty }
        return previous.map { .afterRow($0) } ?? .atFirstRow
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
