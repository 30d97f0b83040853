import Foundation
import JSON

/// Reads the records of one input file as `RecordEvent`s. Record-level problems are yielded
/// as skips; problems that end the file (truncated or corrupt compression, I/O errors) are thrown.
protocol RecordReader {
    mutating func next() throws -> RecordEvent?
    /// Uncompressed bytes read so far and compressed bytes consumed (for progress).
    var bytesRead: Int { get }
}

/// JSONL: one object a line; the text field becomes the document, `keep` fields its metadata.
/// The package's one JSONL reader: ingest and the tokenizer's sample (`tokenizer train --input`)
/// both read with it.
struct JSONLReader: RecordReader {
    let file: InputFile
    let fileIndex: Int
    let textField: [UInt8]
    let keep: Set<String>
    let idField: String?
    var lines: LineReader
    var bytesRead: Int { lines.offset }

    init(file: InputFile, fileIndex: Int, source: SourceSpec, maxDocumentBytes: Int, input: RecordInput? = nil) throws {
        try self.init(
            file: file, fileIndex: fileIndex, textField: source.textField, keep: source.keep,
            idField: source.idField, maxLineBytes: maxDocumentBytes, input: input)
    }

    /// A file outside any manifest: the text field only, errors naming `path`.
    init(path: String, textField: String, maxLineBytes: Int) throws {
        try self.init(
            file: InputFile(path: path, relativePath: path, size: 0, mtime: 0), fileIndex: 0,
            textField: textField, keep: [], idField: nil, maxLineBytes: maxLineBytes)
    }

    private init(
        file: InputFile, fileIndex: Int, textField: String, keep: [String], idField: String?,
        maxLineBytes: Int, input: RecordInput? = nil
    ) throws {
        self.file = file
        self.fileIndex = fileIndex
        self.textField = Array(textField.utf8)
        self.keep = Set(keep)
        self.idField = idField
        lines = LineReader(
            source: try input?.bytes ?? openByteSource(path: file.path), maxLineBytes: maxLineBytes,
            linesBefore: input?.linesBefore ?? 0, bytesBefore: input?.bytesBefore ?? 0)
    }

    mutating func next() throws -> RecordEvent? {
        while let line = try lines.next() {
            switch line {
            case .tooLong(let number, let offset, let length):
                return .skip(
                    skip(number, offset, "line of \(length) bytes exceeds max_document_bytes (\(lines.maxLineBytes))"))
            case .text(var range, let number, let offset):
                // A leading UTF-8 byte order mark is an encoding mark, not part of the first record.
                var shift = 0
                if number == 1 && lines.withBytes(range, { $0.starts(with: utf8ByteOrderMark) }) {
                    range = (range.lowerBound + utf8ByteOrderMark.count)..<range.upperBound
                    shift = utf8ByteOrderMark.count
                }
                let parsed = lines.withBytes(range) { parse($0) }
                switch parsed {
                case .blank: continue
                case .failure(let reason, let at):
                    return .skip(skip(number, offset + shift + at, reason))
                case .document(let text, let meta, let id):
                    let docId = id ?? "\(file.relativePath):\(number)"
                    return .document(
                        Document(
                            docId: docId, text: text, meta: meta,
                            position: RecordPosition(fileIndex: fileIndex, record: number)))
                }
            }
        }
        return nil
    }

    func skip(_ line: Int, _ offset: Int, _ reason: String) -> SkipRecord {
        SkipRecord(
            kind: .record, file: file.path, line: line, offset: offset, reason: reason,
            position: RecordPosition(fileIndex: fileIndex, record: line))
    }

    enum Parsed {
        case blank
        case failure(String, at: Int)
        case document(text: [UInt8], meta: JSONValue, id: String?)
    }

    /// Parses one line, extracting the text field and kept fields and validating the rest.
    func parse(_ bytes: UnsafeRawBufferPointer) -> Parsed {
        var p = JSONParser(bytes)
        p.skipWhitespace()
        if p.pos == bytes.count { return .blank }
        guard bytes[p.pos] == UInt8(ascii: "{") else { return .failure("line is not a JSON object", at: p.pos) }
        var text: [UInt8]?
        var textIsNotString = false
        var meta: [String: JSONValue] = [:]
        var id: String?
        do {
            p.advance(1)
            p.skipWhitespace()
            if p.peekByte() == UInt8(ascii: "}") {
                p.advance(1)
            } else {
                while true {
                    p.skipWhitespace()
                    guard p.peekByte() == UInt8(ascii: "\"") else {
                        return .failure("invalid JSON: expected a string key", at: p.pos)
                    }
                    var key: [UInt8] = []
                    try p.parseStringBytes(into: &key)
                    p.skipWhitespace()
                    guard p.peekByte() == UInt8(ascii: ":") else {
                        return .failure("invalid JSON: expected ':'", at: p.pos)
                    }
                    p.advance(1)
                    p.skipWhitespace()
                    if key == textField {
                        if p.peekByte() == UInt8(ascii: "\"") {
                            var t: [UInt8] = []
                            t.reserveCapacity(bytes.count)
                            try p.parseStringBytes(into: &t)
                            text = t
                        } else {
                            textIsNotString = true
                            try p.skipValue()
                        }
                    } else {
                        let keyString = String(decoding: key, as: UTF8.self)
                        if keep.contains(keyString) || keyString == idField {
                            let v = try p.parseValue()
                            if keyString == idField { id = v.stringValue ?? (v.intValue.map { String($0) }) }
                            if keep.contains(keyString) { meta[keyString] = v }
                        } else {
                            try p.skipValue()
                        }
                    }
                    p.skipWhitespace()
                    if p.peekByte() == UInt8(ascii: ",") { p.advance(1); continue }
                    if p.peekByte() == UInt8(ascii: "}") { p.advance(1); break }
                    return .failure("invalid JSON: expected ',' or '}'", at: p.pos)
                }
            }
            try p.expectEnd()
        } catch let e as JSONSyntaxError {
            return .failure(e.reason == "invalid UTF-8" ? "invalid UTF-8" : "invalid JSON: \(e.reason)", at: e.offset)
        } catch {
            return .failure("invalid JSON: \(error)", at: p.pos)
        }
        let field = String(decoding: textField, as: UTF8.self)
        if textIsNotString { return .failure("field '\(field)' is not a string", at: 0) }
        guard let text else { return .failure("no '\(field)' field", at: 0) }
        return .document(text: text, meta: .object(meta), id: id)
    }
}

/// One document a file: plain text, or a source file of a code tree.
struct WholeFileReader: RecordReader {
    let file: InputFile
    let fileIndex: Int
    let source: SourceSpec
    let maxDocumentBytes: Int
    var done = false
    var bytesRead = 0

    mutating func next() throws -> RecordEvent? {
        if done { return nil }
        done = true
        let position = RecordPosition(fileIndex: fileIndex, record: 0)
        func skip(_ reason: String, offset: Int? = nil) -> RecordEvent {
            .skip(
                SkipRecord(
                    kind: .record, file: file.path, line: nil, offset: offset, reason: reason, position: position))
        }
        if file.size > maxDocumentBytes {
            return skip("file of \(file.size) bytes exceeds max_document_bytes (\(maxDocumentBytes))")
        }
        var src = try openByteSource(path: file.path)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try src.read(into: $0) }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > maxDocumentBytes {
                return skip("decompressed size exceeds max_document_bytes (\(maxDocumentBytes))")
            }
        }
        bytesRead = bytes.count
        // A leading UTF-8 byte order mark is an encoding mark, not text.
        let shift = bytes.starts(with: utf8ByteOrderMark) ? utf8ByteOrderMark.count : 0
        if shift > 0 { bytes.removeFirst(shift) }
        if let nul = bytes.firstIndex(of: 0) {
            let reason = source.format == .code ? "binary file (NUL byte)" : "NUL byte in a text file"
            return skip(reason, offset: nul + shift)
        }
        if let bad = firstInvalidUTF8(bytes) {
            return skip(source.format == .code ? "binary file (invalid UTF-8)" : "invalid UTF-8", offset: bad + shift)
        }
        var meta: [String: JSONValue] = ["path": .string(file.relativePath)]
        if source.format == .code {
            let ext = "." + ((file.path as NSString).pathExtension)
            let lang =
                source.extensions[ext] ?? source.extensions[ext.lowercased()] ?? CodeLanguages.language(
                    forExtension: ext) ?? source.language ?? "unknown"
            meta["lang"] = .string(lang)
        }
        return .document(Document(docId: file.relativePath, text: bytes, meta: .object(meta), position: position))
    }
}

let utf8ByteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

/// Offset of the first byte that is not valid UTF-8, or nil.
func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
    bytes.withUnsafeBytes { buf -> Int? in
        var i = 0
        let n = buf.count
        let parser = JSONParser(buf)
        while i < n {
            // Fast path over ASCII, 8 bytes at a time.
            while i + 8 <= n && buf.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
            }
            if i >= n { break }
            if buf[i] < 0x80 { i += 1; continue }
            do { i += try parser.validateUTF8Sequence(at: i) } catch { return i }
        }
        return nil
    }
}

/// The bytes of part of a JSONL file (the lines a piece of an ingest partition owns), and what
/// precedes them in the file's decoded bytes, so lines keep the numbers and offsets of a read of
/// the whole file.
struct RecordInput {
    var bytes: any ByteSource
    var linesBefore: Int
    var bytesBefore: Int
}
