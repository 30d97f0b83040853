// libFuzzer harness: the JSONL record reader (LineReader + JSONLReader.parse) as ingest runs it,
// fed from memory in chunks whose size the first input byte picks, with a small line buffer and
// a small line limit so buffer growth, compaction and over-long lines are all reached.
// Checks the reader's promises: documents are valid UTF-8, every skip names its line.
import Foundation
import MDS

struct MemoryByteSource: ByteSource {
    let bytes: [UInt8]
    let chunk: Int
    var compressedOffset = 0

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(chunk, buffer.count, bytes.count - compressedOffset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes {
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[compressedOffset..<(compressedOffset + n)]))
        }
        compressedOffset += n
        return n
    }
}

let jsonlSource = SourceSpec(
    name: "fuzz", format: .jsonl, paths: [], textField: "text", domain: "web",
    language: nil, keep: ["meta", "url"], extensions: [:], idField: "id")
/// Made once: JSONLReader's initializer opens its file and allocates a 1 MB line buffer, which
/// would cost more than the parsing; each input gets a copy with an in-memory LineReader.
nonisolated(unsafe) let templateReader: JSONLReader = {
    let path = FuzzScratch.write(UnsafeRawBufferPointer(start: nil, count: 0), to: "empty.jsonl")
    let file = InputFile(path: path, relativePath: "fuzz.jsonl", size: 0, mtime: 0)
    do { return try JSONLReader(file: file, fileIndex: 0, source: jsonlSource, maxDocumentBytes: 1 << 20) } catch {
        fatalError("cannot open \(path): \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = Int(data[0])
    let body = [UInt8](UnsafeBufferPointer(start: data + 1, count: size - 1))
    let maxLine = [64, 256, 4096, 1 << 20][control & 3]
    var reader = templateReader
    reader.lines = LineReader(
        source: MemoryByteSource(bytes: body, chunk: 1 + (control >> 2)),
        maxLineBytes: maxLine, chunkSize: 16)
    var lastLine = 0
    do {
        while let event = try reader.next() {
            switch event {
            case .document(let doc):
                if let bad = firstInvalidUTF8(doc.text) { fatalError("document text has invalid UTF-8 at \(bad)") }
                precondition(doc.position.record > lastLine, "record numbers must increase")
                lastLine = doc.position.record
            case .skip(let skip):
                guard let line = skip.line, line > lastLine else {
                    fatalError("skip without a new line number: \(skip)")
                }
                lastLine = line
            }
        }
    } catch {
        fatalError("an in-memory JSONL stream threw instead of skipping: \(error)")
    }
    return 0
}
