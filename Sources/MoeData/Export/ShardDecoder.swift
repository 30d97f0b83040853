import FileSupport
import Foundation
import MDS

/// Reads some shards of an MDS dataset, in order, on a thread of its own, and hands their
/// decompressed bytes to a `ShardSampleStream` in `ShardPiece`s of a `PiecePool`: zstd decodes
/// straight into the pieces (`ZstdPieceDecoder`), which come back once read. Memory is the
/// pool's pieces, a 1 MiB read buffer and zstd's context, whatever the shard size.
///
/// Each shard's file is checked against index.json (size and xxh64, as `MDSDataset.shard` does)
/// in a first pass before any of its bytes are handed over; its decompressed bytes are checked
/// (size and xxh64) as they go, and a mismatch ends the shard with a failure instead of `.end`.
final class ShardDecoder: @unchecked Sendable {
    enum Item {
        case piece(ShardPiece)
        /// The shard's bytes are all handed over, and they are what index.json says.
        case end
        case failure(any Error)
    }

    let dataset: MDSDataset
    /// The shards this thread reads, in order.
    let shards: [Int]
    /// Filled pieces and shard ends, in order.
    let output: BoundedQueue<Item>
    /// Where empty pieces come from and go back to, and this thread's number there.
    private let pool: PiecePool
    private let thread: Int
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
    /// Made by the thread when it reads its first zstd shard.
    private var zstdDecoder: ZstdPieceDecoder?

    /// `pieces`: the most pieces it can fill (its own and the shared ones), for its queue.
    init(dataset: MDSDataset, shards: [Int], pool: PiecePool, thread: Int, pieces: Int) {
        self.dataset = dataset
        self.shards = shards
        self.pool = pool
        self.thread = thread
        output = BoundedQueue(capacity: 2 * pieces + 2)
        Thread { [self] in run() }.start()
    }

    deinit { input.deallocate() }

    /// Gives a read piece back for the next bytes.
    func recycle(_ piece: ShardPiece) { pool.give(piece) }

    /// Stops the thread: it hands nothing more over.
    func close() {
        output.close()
        pool.close()
    }

    private func run() {
        for shard in shards {
            do {
                try decode(shard)
                guard output.push(.end) else { return }
            } catch is Stopped {
                return
            } catch {
                _ = output.push(.failure(error))
                break
            }
        }
        output.close()
    }

    /// Thrown when the reader closed the stream while this thread waited.
    private struct Stopped: Error {}

    private func decode(_ shard: Int) throws {
        let entry = dataset.index.shards[shard]
        let url = dataset.directory.appendingPathComponent(entry.zipBasename ?? entry.rawBasename)
        if dataset.verifyHashes {
            if entry.zipBasename != nil {
                try verify(url, bytes: entry.zipBytes, hashes: entry.zipHashes ?? [:])
            } else {
                try verify(url, bytes: entry.rawBytes, hashes: entry.rawHashes)
            }
        }
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw MDSError.io("\(url.path): missing or unreadable shard file") }
        defer { Foundation.close(fd) }
        var check = RawCheck(
            name: url.path + (entry.zipBasename == nil ? "" : " (raw)"), expected: entry.rawBytes,
            hashes: dataset.verifyHashes ? entry.rawHashes : [:])
        var piece = try takePiece()
        if entry.zipBasename == nil {
            while true {
                if piece.isFull { piece = try hand(piece) }
                let n = try readInput(fd, url, into: piece.room)
                if n == 0 { break }
                try check.add(UnsafeRawBufferPointer(rebasing: piece.room[0..<n]))
                piece.count += n
            }
        } else {
            var compressed = CompressedInput(fd: fd, url: url, buffer: input)
            try zstd().decode(&compressed, into: &piece, hand: hand) { try check.add($0) }
        }
        try check.finish()
        if piece.count == 0 {
            recycle(piece)
        } else if !output.push(.piece(piece)) {
            throw Stopped()
        }
    }

    private func zstd() throws -> ZstdPieceDecoder {
        if let zstdDecoder { return zstdDecoder }
        let made = try ZstdPieceDecoder()
        zstdDecoder = made
        return made
    }

    /// Hands a filled piece over and takes an empty one.
    private func hand(_ piece: ShardPiece) throws -> ShardPiece {
        guard output.push(.piece(piece)) else { throw Stopped() }
        return try takePiece()
    }

    private func takePiece() throws -> ShardPiece {
        guard let piece = pool.take(for: thread) else { throw Stopped() }
        return piece
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the file.
    private func readInput(_ fd: Int32, _ url: URL, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Foundation.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw MDSError.io("\(url.path): cannot read (\(String(cString: strerror(errno))))") }
        }
    }

    /// The file as written: its size and xxh64 against index.json, read once through the input buffer.
    private func verify(_ url: URL, bytes expected: Int?, hashes: [String: String]) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw MDSError.io("\(url.path): missing or unreadable shard file") }
        defer { Foundation.close(fd) }
        var hash = XXH64()
        var size = 0
        while true {
            let n = try readInput(fd, url, into: input)
            if n == 0 { break }
            hash.update(UnsafeRawBufferPointer(rebasing: input[0..<n]))
            size += n
        }
        if let expected, expected != size {
            throw MDSError.format(
                "\(url.path): \(size) bytes, index.json says \(expected); the shard is truncated or was changed")
        }
        if let wanted = hashes["xxh64"], XXH64.hex(hash.digest()) != wanted {
            throw MDSError.hashMismatch(
                file: url.path, algorithm: "xxh64", expected: wanted, actual: XXH64.hex(hash.digest()))
        }
    }
}

/// The decompressed bytes of a shard against index.json as they go: never more than its raw
/// size, and at the end that size and its xxh64.
private struct RawCheck {
    let name: String
    let expected: Int
    /// nil when there is no xxh64 to check.
    var hash: XXH64?
    let wanted: String?
    var count = 0

    init(name: String, expected: Int, hashes: [String: String]) {
        self.name = name
        self.expected = expected
        wanted = hashes["xxh64"]
        hash = wanted == nil ? nil : XXH64()
    }

    mutating func add(_ bytes: UnsafeRawBufferPointer) throws {
        count += bytes.count
        guard count <= expected else {
            throw MDSError.compression("\(name): the data decompresses to more than the expected \(expected) bytes")
        }
        hash?.update(bytes)
    }

    func finish() throws {
        guard count == expected else {
            throw MDSError.format("\(name): raw size \(count), index.json says \(expected)")
        }
        if let wanted, let actual = hash.map({ XXH64.hex($0.digest()) }), actual != wanted {
            throw MDSError.hashMismatch(file: name, algorithm: "xxh64", expected: wanted, actual: actual)
        }
    }
}
