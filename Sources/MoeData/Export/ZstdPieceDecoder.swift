import Foundation
import MDS

/// Decodes the zstd frames of a shard file into `ShardPiece`s, block by block straight into the
/// pieces with zstd's buffer-less API: no copy out of a decoding buffer (zstd's streaming API
/// decodes into a buffer of its own and copies out; that copy was a fifth of the reading threads'
/// time). A block refers back up to the frame's window, so a piece is handed over once it has no
/// room for another block, and its bytes must stay as they are while the next piece is decoded:
/// the reader gives a piece back only after it has taken the one after it (`ShardSampleStream`).
/// A frame whose window is larger than a piece holds is decoded with the streaming API instead.
final class ZstdPieceDecoder {
    private let blocks: ZstdBlockDecoder
    private let stream: ZstdStreamDecoder

    init() throws {
        do {
            blocks = try ZstdBlockDecoder()
            stream = try ZstdStreamDecoder()
        } catch let failure as ZstdBlockDecoder.Failure {
            throw MDSError.compression(failure.reason)
        } catch let failure as ZstdStreamDecoder.Failure {
            throw MDSError.compression(failure.reason)
        }
    }

    /// Decodes every frame of `input` into `piece`, calling `hand` for a new piece when it is full
    /// and `produced` with each run of bytes written.
    func decode(
        _ input: inout CompressedInput, into piece: inout ShardPiece, hand: (ShardPiece) throws -> ShardPiece,
        produced: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        while try input.ensure(1) {
            var header: ZstdBlockDecoder.FrameHeader?
            var needed = 0
            repeat {
                guard try input.ensure(needed) else { throw input.error("truncated frame header") }
                do { (header, needed) = try ZstdBlockDecoder.frameHeader(input.available) } catch let failure
                    as ZstdBlockDecoder.Failure
                {
                    throw input.error(failure.reason)
                }
            } while header == nil
            guard let header else { return }
            if !header.isSkippable && header.windowSize + UInt64(header.blockSizeMax) > piece.buffer.count {
                try streamFrame(&input, into: &piece, hand: hand, produced: produced)
            } else {
                try decodeFrame(&input, blockSizeMax: header.blockSizeMax, into: &piece, hand, produced)
            }
        }
    }

    private func decodeFrame(
        _ input: inout CompressedInput, blockSizeMax: Int, into piece: inout ShardPiece,
        _ hand: (ShardPiece) throws -> ShardPiece, _ produced: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        blocks.begin()
        while true {
            let next = blocks.nextInputSize
            if next == 0 { return }
            guard try input.ensure(next) else { throw input.error("truncated frame") }
            if piece.room.count < blockSizeMax { piece = try hand(piece) }
            let room = piece.room
            let n: Int
            do {
                n = try blocks.decode(UnsafeRawBufferPointer(rebasing: input.available[0..<next]), into: room)
            } catch let failure as ZstdBlockDecoder.Failure {
                throw input.error(failure.reason)
            }
            input.consume(next)
            try produced(UnsafeRawBufferPointer(rebasing: room[0..<n]))
            piece.count += n
        }
    }

    /// One frame with the streaming API, which needs no room for whole blocks (it copies out).
    private func streamFrame(
        _ input: inout CompressedInput, into piece: inout ShardPiece, hand: (ShardPiece) throws -> ShardPiece,
        produced: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        while true {
            if piece.isFull { piece = try hand(piece) }
            let room = piece.room
            var position = 0
            let n: Int
            do { n = try stream.decode(input.available, position: &position, into: room) } catch let failure
                as ZstdStreamDecoder.Failure
            {
                throw input.error(failure.reason)
            }
            input.consume(position)
            try produced(UnsafeRawBufferPointer(rebasing: room[0..<n]))
            piece.count += n
            // 0 from zstd: the frame is decoded and all of it written out.
            if stream.isAtFrameBoundary { return }
            if position == 0 && n < room.count, try !input.ensure(input.available.count + 1) {
                throw input.error("truncated frame")
            }
        }
    }
}

/// A shard file's compressed bytes, read through a buffer as a decoder uses them.
struct CompressedInput {
    let fd: Int32
    let url: URL
    let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// Bytes used before `start`, for the offsets in errors.
    private var used = 0

    init(fd: Int32, url: URL, buffer: UnsafeMutableRawBufferPointer) {
        self.fd = fd
        self.url = url
        self.buffer = buffer
    }

    /// The bytes read and not yet used.
    var available: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[start..<end]) }

    mutating func consume(_ count: Int) {
        start += count
        used += count
    }

    /// Reads until `count` bytes are available (at most the buffer's size); false when the file
    /// ends before.
    mutating func ensure(_ count: Int) throws -> Bool {
        guard end - start < count else { return true }
        guard count <= buffer.count else { throw error("a block of \(count) bytes") }
        if start > 0, let base = buffer.baseAddress {
            // The unused bytes move to the front (less than a block).
            (base).copyMemory(from: base + start, byteCount: end - start)
            end -= start
            start = 0
        }
        while end - start < count {
            let n = Foundation.read(fd, buffer.baseAddress.map { $0 + end }, buffer.count - end)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw MDSError.io("\(url.path): cannot read (\(String(cString: strerror(errno))))") }
            if n == 0 { return false }
            end += n
        }
        return true
    }

    func error(_ reason: String) -> MDSError {
        MDSError.compression("\(url.path): zstd: \(reason) at compressed byte \(used)")
    }
}
