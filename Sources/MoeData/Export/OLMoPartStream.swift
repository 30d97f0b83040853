import Foundation

/// Cuts a causal phase's token stream into the memmap files of an OLMo export: fills a
/// `MemmapPart` to the file size, gives it its name, records it, and opens the next one.
struct OLMoPartStream {
    let export: OLMoExport
    let folder: URL
    private var next: Int
    private var part: MemmapPart?
    /// The files this run wrote, with their tokens.
    private(set) var written: [(name: String, tokens: Int)] = []
    private var lastRow = -1
    /// The document whose last run so far did not end it, and where it goes on: an `endsPrevious`
    /// run is its EOS.
    private(set) var open: OpenDocument?

    struct OpenDocument: Equatable {
        var docId: String
        var source: String
        var offset: Int
    }

    init(export: OLMoExport, folder: URL, next: Int, open: OpenDocument?) {
        self.export = export
        self.folder = folder
        self.next = next
        self.open = open
    }

    /// Adds row `number`'s runs, leaving out its first `skip` tokens (written before a resume).
    mutating func add(
        row: PackedRowView, number: Int, runs: [DocumentRun], skip: Int, finished: (String) throws -> Void
    ) throws {
        lastRow = number
        var position = 0
        for var run in runs {
            // Runs written before a resume are skipped first: the open document is the one at the cut.
            if position + run.tokenCount <= skip {
                position += run.tokenCount
                continue
            }
            if run.endsPrevious {
                guard let open, open.source == run.source else {
                    throw MoeDataError(
                        "\(row.origin): a segment of source \(run.source) starts with an EOS that ends no document "
                            + "of that source; rebuild the output")
                }
                run = DocumentRun(
                    docId: open.docId, source: open.source, offset: open.offset, count: 0, endsDocument: true)
            }
            var rest = run
            if position < skip {
                rest = OLMoPartStream.split(rest, at: skip - position).tail
                position = skip
            }
            while rest.tokenCount > 0 {
                let current =
                    try part
                    ?? MemmapPart(
                        folder: folder, name: OLMoExport.partName(next), itemWidth: export.itemWidth)
                part = current
                let (head, tail) = OLMoPartStream.split(
                    rest, at: min(export.fileTokens - current.tokenCount, rest.tokenCount))
                try current.append(row.tokens.slice(position..<(position + head.tokenCount)), of: head)
                open =
                    head.endsDocument
                    ? nil
                    : OpenDocument(
                        docId: head.docId, source: head.source, offset: head.offset + head.count)
                position += head.tokenCount
                rest = tail
                if current.tokenCount == export.fileTokens {
                    try finish(nextRow: number, skip: position)
                    try finished(OLMoExport.partName(next - 1))
                }
            }
        }
    }

    /// Finishes the last, partial file (if any tokens are in it).
    mutating func finish() throws {
        guard part != nil else { return }
        try finish(nextRow: lastRow + 1, skip: 0)
    }

    func discard() { part?.discard() }

    private mutating func finish(nextRow: Int, skip: Int) throws {
        guard let current = part else { return }
        try current.commit()
        let name = OLMoExport.partName(next)
        try export.record(name, tokens: current.tokenCount, nextRow: nextRow, skip: skip, open: open)
        written.append((name, current.tokenCount))
        part = nil
        next += 1
    }

    /// The first `k` stream tokens of `run` and the rest: a document's tokens come first, its EOS last.
    static func split(_ run: DocumentRun, at k: Int) -> (head: DocumentRun, tail: DocumentRun) {
        var head = run
        var tail = run
        head.count = min(k, run.count)
        head.endsDocument = run.endsDocument && k > run.count
        tail.offset = run.offset + head.count
        tail.count = run.count - head.count
        tail.endsDocument = run.endsDocument && !head.endsDocument
        return (head, tail)
    }
}
