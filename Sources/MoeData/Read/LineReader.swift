/// Splits a byte stream into lines (`\n`, with a trailing `\r` removed), keeping each line's
/// number and uncompressed byte offset. Memory is bounded by the longest line, and lines longer
/// than `maxLineBytes` are reported (their bytes consumed, not stored).
struct LineReader {
    var source: any ByteSource
    let maxLineBytes: Int
    /// Drop a `\r` before the `\n` (JSONL written on Windows); tools that must match
    /// `spm_encode` line for line keep it, as spm_encode does.
    var stripsCarriageReturn = true
    private var buffer: [UInt8]
    private var start = 0  // first unconsumed byte in buffer
    private var end = 0  // one past the last valid byte
    private var eof = false
    private(set) var lineNumber = 0
    private(set) var offset = 0  // uncompressed offset of the next line

    enum Line {
        /// The line's bytes are `range` of the reader's buffer, valid until the next call.
        case text(range: Range<Int>, number: Int, offset: Int)
        case tooLong(number: Int, offset: Int, length: Int)
    }

    /// Gives the bytes of a `.text` line to `body` without copying them.
    func withBytes<T>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// `linesBefore` and `bytesBefore` say where `source` starts in the whole stream (a piece of a
    /// partitioned file): lines are numbered and offsets counted as in a read of the whole file.
    init(
        source: any ByteSource, maxLineBytes: Int, chunkSize: Int = 1 << 20, linesBefore: Int = 0,
        bytesBefore: Int = 0
    ) {
        self.source = source
        self.maxLineBytes = maxLineBytes
        buffer = [UInt8](repeating: 0, count: chunkSize)
        lineNumber = linesBefore
        offset = bytesBefore
    }

    var compressedOffset: Int { source.compressedOffset }

    /// Reads more bytes into the buffer, compacting or growing it; false at end of stream.
    private mutating func fill() throws -> Bool {
        if eof { return false }
        if start > 0 {
            if start < end {
                buffer.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
            }
            end -= start
            start = 0
        }
        if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        let n = try buffer.withUnsafeMutableBytes {
            try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[end...]))
        }
        if n == 0 { eof = true; return false }
        end += n
        return true
    }

    mutating func next() throws -> Line? {
        var scanned = 0  // bytes after `start` already known to hold no newline
        while true {
            if let nl = buffer[(start + scanned)..<end].firstIndex(of: 0x0A) {
                return emit(upTo: nl, consumed: nl + 1)
            }
            scanned = end - start
            if scanned > maxLineBytes { return try skipLongLine() }
            if try !fill() {
                if start == end { return nil }
                return emit(upTo: end, consumed: end)  // last line without a newline
            }
        }
    }

    /// Every line is measured here, whatever the buffer held: checking only when the buffer
    /// fills let lines shorter than the buffer, and the last line, through at any limit.
    private mutating func emit(upTo lineEnd: Int, consumed: Int) -> Line {
        var e = lineEnd
        if stripsCarriageReturn && e > start && buffer[e - 1] == 0x0D { e -= 1 }
        lineNumber += 1
        let line =
            e - start > maxLineBytes
            ? Line.tooLong(number: lineNumber, offset: offset, length: e - start)
            : Line.text(range: start..<e, number: lineNumber, offset: offset)
        offset += consumed - start
        start = consumed
        return line
    }

    /// Consumes a line too long to keep, without storing it.
    private mutating func skipLongLine() throws -> Line {
        lineNumber += 1
        let lineOffset = offset
        var length = 0
        while true {
            if let nl = buffer[start..<end].firstIndex(of: 0x0A) {
                length += nl - start
                offset += nl + 1 - start
                start = nl + 1
                return .tooLong(number: lineNumber, offset: lineOffset, length: length)
            }
            length += end - start
            offset += end - start
            start = end
            if try !fill() { return .tooLong(number: lineNumber, offset: lineOffset, length: length) }
        }
    }
}
