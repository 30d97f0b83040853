import Foundation

/// One file of a dolma-style token memmap export being written: `<name>.npy`, the tokens with no
/// header (uint16 or uint32, little-endian), and `<name>.csv.gz`, one `start,end,id,src,loc` line per
/// run of a document (`start`, `end`: token offsets in this file, EOS included; `id`: the document
/// id; `src`: its source; `loc`: the run's first token in the document). A document's runs that
/// follow each other in the file make one line.
final class MemmapPart {
    let npy: ExportFile
    let csv: GzipFileWriter
    let itemWidth: Int
    private(set) var tokenCount = 0
    private(set) var lineCount = 0
    private var line: (start: Int, end: Int, docId: String, source: String, loc: Int, count: Int, open: Bool)?

    init(folder: URL, name: String, itemWidth: Int) throws {
        self.itemWidth = itemWidth
        npy = try ExportFile(folder.appendingPathComponent(name + ".npy"), streamed: true)
        do { csv = try GzipFileWriter(folder.appendingPathComponent(name + ".csv.gz")) } catch {
            npy.discard()
            throw error
        }
    }

    /// Appends `tokens`, which are `run`'s (document tokens, then EOS when the run ends the document).
    func append(_ tokens: LittleEndianArray, of run: DocumentRun) throws {
        try npy.write(tokens: tokens, width: itemWidth)
        let end = tokenCount + tokens.count
        if var current = line, current.open, current.docId == run.docId, current.source == run.source,
            current.loc + current.count == run.offset
        {
            current.end = end
            current.count += run.count
            current.open = !run.endsDocument
            line = current
        } else {
            try flushLine()
            line = (tokenCount, end, run.docId, run.source, run.offset, run.count, !run.endsDocument)
        }
        tokenCount = end
    }

    /// Writes the last line and gives both files their names.
    func commit() throws {
        try flushLine()
        try npy.commit()
        try csv.commit()
    }

    func discard() {
        npy.discard()
        csv.discard()
    }

    private func flushLine() throws {
        guard let l = line else { return }
        // Lines end in \r\n as Python's csv.writer, which dolma uses, ends them.
        try csv.write("\(l.start),\(l.end),\(MemmapPart.field(l.docId)),\(MemmapPart.field(l.source)),\(l.loc)\r\n")
        lineCount += 1
        line = nil
    }

    /// A CSV field quoted as Python's csv module quotes it (QUOTE_MINIMAL).
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
