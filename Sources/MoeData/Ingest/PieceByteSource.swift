import Foundation

/// The bytes of exactly the lines one piece of an `IngestPartition` owns, as a stream for a
/// `LineReader`: the file's own bytes for plain JSONL, decompressed bytes for zstd and gzip.
///
/// Ownership: a line belongs to the piece in which its first byte lies. Offsets here are in the
/// file's decoded bytes (for plain JSONL, file offsets). So a piece that does not start its file
/// skips to just after the first `\n` at or after its start, unless the byte just before its
/// start is a `\n` (a line starts exactly there); and every piece whose last byte is not a `\n`
/// reads on past its end, into the next pieces if need be, until it has finished its last line.
/// A line longer than a piece is read whole by the piece its first byte is in; pieces it merely
/// crosses own nothing of it. Owned ranges of consecutive pieces meet exactly, so reading every
/// piece of a file in order yields the file's lines once each, in order.
///
/// A multi-frame zstd piece is a run of whole frames, `bytes` in compressed offsets. The rule
/// is the same on the decoded bytes: a line belongs to the piece whose frames decode its first
/// byte. The byte before the piece is the last decoded byte of the frames before it, found by
/// decoding the previous frame (and earlier ones when a frame decodes to nothing); reading past
/// the end decodes the following frames until the line ends. Gzip, single-frame zstd, text and
/// code files are never cut: their one piece is the whole decoded file.
struct PieceByteSource: ByteSource {
    private enum Phase {
        /// Dropping the end of a line that started before the piece.
        case skipping
        /// Passing the piece's own bytes.
        case piece
        /// Past the piece's end, finishing its last line.
        case finishing
        case done
    }

    let path: String
    private let opener: RangeOpener
    private var body: any ByteSource
    private var tail: (any ByteSource)?
    /// Where the bytes after the piece start (nil when the piece ends its file).
    private let tailStart: Int?
    private var phase: Phase
    /// The last byte seen (passed or skipped), starting with the byte before the piece.
    private var lastByte: UInt8

    init(piece: IngestPartition.Piece, file: IngestPartition.File) throws {
        path = file.path
        opener = try RangeOpener(file)
        body = try opener.open(piece.bytes)
        let before = piece.isFileStart ? nil : try opener.decodedByte(before: piece.bytes.lowerBound)
        tailStart = piece.isFileEnd ? nil : piece.bytes.upperBound
        let newline = UInt8(ascii: "\n")
        phase = before == nil || before == newline ? .piece : .skipping
        lastByte = before ?? newline
    }

    var compressedOffset: Int { tail?.compressedOffset ?? body.compressedOffset }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let newline = UInt8(ascii: "\n")
        while true {
            switch phase {
            case .done:
                return 0
            case .skipping, .piece:
                let n = try body.read(into: buffer)
                if n == 0 {
                    if phase == .skipping || lastByte == newline || tailStart == nil {
                        phase = .done
                    } else {
                        tail = try opener.open((tailStart ?? 0)..<Int.max)
                        phase = .finishing
                    }
                    continue
                }
                lastByte = buffer[n - 1]
                if phase == .piece { return n }
                guard let lineEnd = buffer[0..<n].firstIndex(of: newline) else { continue }
                phase = .piece
                let kept = n - (lineEnd + 1)
                if kept > 0 {
                    guard let base = buffer.baseAddress else { continue }
                    memmove(base, base + lineEnd + 1, kept)
                    return kept
                }
            case .finishing:
                guard var source = tail else { phase = .done; continue }
                let n = try source.read(into: buffer)
                tail = source
                if n == 0 { phase = .done; continue }
                if let lineEnd = buffer[0..<n].firstIndex(of: newline) {
                    phase = .done
                    return lineEnd + 1
                }
                return n
            }
        }
    }

    /// What precedes the lines a piece owns in its file's decoded bytes: the ingest numbers the
    /// piece's lines from `lines + 1` and its offsets from `bytes`, as a one-task ingest would.
    struct Prefix: Equatable {
        /// Lines that start before the piece's first owned line.
        var lines: Int
        /// Decoded bytes before the piece's first owned line.
        var bytes: Int
    }

    /// The `Prefix` of a piece. It reads (for zstd: decompresses) the file from its start to the
    /// piece's first owned line, so its cost grows with the piece's position in the file.
    static func prefix(of piece: IngestPartition.Piece, in file: IngestPartition.File) throws -> Prefix {
        guard !piece.isFileStart else { return Prefix(lines: 0, bytes: 0) }
        let opener = try RangeOpener(file)
        var counted = Prefix(lines: 0, bytes: 0)
        var last: UInt8?
        var before = try opener.open(0..<piece.bytes.lowerBound)
        try forEachChunk(of: &before) { chunk in
            counted.lines += countNewlines(chunk)
            counted.bytes += chunk.count
            last = chunk.last
            return true
        }
        guard let last, last != UInt8(ascii: "\n") else { return counted }
        // The piece starts inside a line: its first owned line starts after that line's end.
        var after = try opener.open(piece.bytes.lowerBound..<Int.max)
        try forEachChunk(of: &after) { chunk in
            if let lineEnd = chunk.firstIndex(of: UInt8(ascii: "\n")) {
                counted.lines += 1
                counted.bytes += lineEnd + 1
                return false
            }
            counted.bytes += chunk.count
            return true
        }
        return counted
    }

    /// Gives `source`'s bytes to `body` chunk by chunk, while it returns true.
    static func forEachChunk(of source: inout any ByteSource,
                             _ body: (UnsafeRawBufferPointer) throws -> Bool) throws {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 17, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = try source.read(into: chunk)
            if n == 0 { return }
            if try !body(UnsafeRawBufferPointer(rebasing: chunk[0..<n])) { return }
        }
    }

    static func countNewlines(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard var p = bytes.baseAddress else { return 0 }
        let end = p + bytes.count
        var count = 0
        while p < end, let hit = memchr(p, Int32(UInt8(ascii: "\n")), end - p) {
            count += 1
            p = UnsafeRawPointer(hit) + 1
        }
        return count
    }
}

/// Opens byte ranges of one input file as decoded streams, by its partition kind.
private struct RangeOpener {
    let file: IngestPartition.File
    /// Open once for every range of a plain or multi-frame file (nil for a whole file).
    let positional: PositionalFile?

    init(_ file: IngestPartition.File) throws {
        self.file = file
        positional = file.kind == .whole ? nil : try PositionalFile(path: file.path)
    }

    /// The decoded bytes of file bytes `range`: as they are for plain JSONL, decompressed for a run
    /// of zstd frames (`range` must start at a frame start); a whole file ignores `range`.
    func open(_ range: Range<Int>) throws -> any ByteSource {
        guard let positional else { return try openByteSource(path: file.path) }
        let raw = FileRangeByteSource(file: positional, range: range)
        if case .frames = file.kind { return try ZstdByteSource(path: file.path, input: raw) }
        return raw
    }

    /// The decoded byte just before file offset `offset` (a frame start for zstd), or nil when no
    /// byte decodes before it. Frames that decode to nothing are looked through.
    func decodedByte(before offset: Int) throws -> UInt8? {
        guard offset > 0, let positional else { return nil }
        guard case .frames(let starts) = file.kind else {
            var byte: UInt8 = 0
            let n = try withUnsafeMutableBytes(of: &byte) { try positional.read(at: offset - 1, into: $0) }
            return n == 1 ? byte : nil
        }
        var end = offset
        for start in starts.reversed() where start < offset {
            var frames = try open(start..<end)
            var last: UInt8?
            try PieceByteSource.forEachChunk(of: &frames) { chunk in
                last = chunk.last ?? last
                return true
            }
            if let last { return last }
            end = start
        }
        return nil
    }
}
