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
    /// CSV lines not yet deflated: deflated 64 KiB at a time (zlib's output does not depend on how
    /// its input is cut), each line written as bytes, not as an interpolated string.
    private var csvBytes: [UInt8] = []

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
        try csv.write(&csvBytes)
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
        MemmapPart.appendDecimal(l.start, to: &csvBytes)
        csvBytes.append(UInt8(ascii: ","))
        MemmapPart.appendDecimal(l.end, to: &csvBytes)
        csvBytes.append(UInt8(ascii: ","))
        MemmapPart.appendField(l.docId, to: &csvBytes)
        csvBytes.append(UInt8(ascii: ","))
        MemmapPart.appendField(l.source, to: &csvBytes)
        csvBytes.append(UInt8(ascii: ","))
        MemmapPart.appendDecimal(l.loc, to: &csvBytes)
        csvBytes += [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
        lineCount += 1
        line = nil
        if csvBytes.count >= 1 << 16 {
            try csv.write(&csvBytes)
            csvBytes.removeAll(keepingCapacity: true)
        }
    }

    /// `value` in decimal ASCII digits.
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        let start = out.count
        var rest = value.magnitude
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        out[start...].reverse()
    }

    /// A CSV field quoted as Python's csv module quotes it (QUOTE_MINIMAL).
    static func appendField(_ text: String, to out: inout [UInt8]) {
        let special: (UInt8) -> Bool = { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 13 || $0 == 10 }
        guard text.utf8.contains(where: special) else { return out.append(contentsOf: text.utf8) }
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
