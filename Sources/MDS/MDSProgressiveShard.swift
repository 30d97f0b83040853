import FileSupport
import Foundation

/// A compressed shard decoded in pieces on one thread (`decode()`) while others read its samples:
/// a reader waits only for the bytes of the sample it asks for, not for the whole shard.
///
/// The build's first token shard was decoded whole before the mixer could start, 0.17 s on one
/// core with the other idle; the mixer's first window needs about a quarter of it.
///
/// What is checked, and when: the compressed file's size and xxh64 before any byte is decoded
/// (so no sample ever comes from a file that differs from index.json), the header (sample count,
/// last offset) before any sample is read, and the raw size and xxh64 when the decoding ends,
/// which `verify()` waits for and reports. A reader that is done with the shard calls `verify()`,
/// so a shard whose raw bytes do not match index.json stops the work that read it before it ends.
public final class MDSProgressiveShard: @unchecked Sendable {
    public let columns: [MDSColumn]
    /// The file's path, for messages.
    public let name: String
    private let zip: [UInt8]
    private let rawHash: String?
    /// The shard's raw bytes: the first `rawBytes` of `buffer`.
    private let storage: UnsafeMutableRawBufferPointer
    /// From `buffers`, and given back to it at the end.
    private let buffer: UnsafeMutableRawBufferPointer
    private let buffers: MDSDecodeBuffers
    private let condition = NSCondition()
    /// Bytes of `storage` decoded so far (under `condition`).
    private var decoded = 0
    /// The sample count, once the header and the offsets are decoded and checked.
    private var count: Int?
    /// Set when the decoding ended: nil after a complete, verified shard, else why it stopped.
    private var outcome: Result<Void, MDSError>?
    private var stopRequested = false

    /// Compressed bytes per step (about 1 MiB decoded): each step wakes the readers waiting for it.
    public static let stepInputBytes = 1 << 18

    /// Reads shard `entry` of `directory` and checks its compressed bytes; decoding starts with
    /// `decode()`. Throws for a shard stored uncompressed (read it with `MDSDataset.shard`).
    init(entry: MDSShardEntry, directory: URL, verifyHashes: Bool, buffers: MDSDecodeBuffers) throws {
        guard let zipName = entry.zipBasename else {
            throw MDSError.format("\(directory.path): shard \(entry.rawBasename) is not compressed")
        }
        let url = directory.appendingPathComponent(zipName)
        name = url.path
        columns = entry.columns
        zip = try MDSDataset.readFile(url)
        if let expected = entry.zipBytes, expected != zip.count {
            throw MDSError.format(
                "\(url.path): \(zip.count) bytes, index.json says \(expected); the shard is truncated or was changed")
        }
        if verifyHashes { try MDSDataset.check(zip, entry.zipHashes ?? [:], url.path) }
        rawHash = verifyHashes ? entry.rawHashes["xxh64"] : nil
        guard entry.rawBytes >= 8 else { throw MDSError.format("\(url.path): too short for an MDS shard") }
        self.buffers = buffers
        // index.json's size limit, when it is one a shard can have (a hostile one is not allocated).
        let limit = entry.sizeLimit <= 1 << 30 ? entry.sizeLimit : 0
        buffer = buffers.take(entry.rawBytes, allocating: limit)
        storage = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<entry.rawBytes])
    }

    deinit {
        buffers.put(buffer)
    }

    /// Decodes the whole shard, step by step; run by one thread, once. Ends early after `stop()`.
    public func decode() {
        let result: Result<Void, MDSError>
        do {
            try decodeSteps()
            result = .success(())
        } catch let error as MDSError {
            result = .failure(error)
        } catch {
            result = .failure(.compression("\(name): \(error)"))
        }
        condition.withLock {
            outcome = result
            condition.broadcast()
        }
    }

    /// Asks `decode()` to stop after its current step (nobody will read the rest).
    public func stop() {
        condition.withLock { stopRequested = true }
    }

    /// Sample `i`, in column order, once its bytes are decoded (waiting for them if need be).
    public func sample(_ i: Int) throws -> [MDSValue] {
        let count = try waitForHeader()
        guard i >= 0 && i < count else { throw MDSError.format("\(name): no sample \(i)") }
        let bytes = UnsafeRawBufferPointer(storage)
        // The offsets are decoded (the header is), the sample's bytes may not be yet.
        let end = Int(bytes.readLE(UInt32.self, at: 8 + 4 * i))
        try waitFor(bytes: end)
        return try MDSShard.sample(i, of: count, in: bytes, columns: columns, name: name)
    }

    /// Waits for the end of the decoding; throws what went wrong (a raw size or hash that does not
    /// match index.json, corrupt zstd data), if anything did.
    public func verify() throws {
        condition.lock()
        defer { condition.unlock() }
        while outcome == nil { condition.wait() }
        if case .failure(let error) = outcome { throw error }
    }

    private func waitForHeader() throws -> Int {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let count { return count }
            if let outcome { throw MDSProgressiveShard.ended(outcome, name, "before its header") }
            condition.wait()
        }
    }

    private func waitFor(bytes needed: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        while decoded < needed {
            if let outcome { throw MDSProgressiveShard.ended(outcome, name, "before byte \(needed) of a sample") }
            condition.wait()
        }
    }

    /// Why a reader waits for bytes that will never come: the decoding failed, or it ended (a
    /// sample's offset past the end of the shard).
    private static func ended(_ outcome: Result<Void, MDSError>, _ name: String, _ what: String) -> MDSError {
        if case .failure(let error) = outcome { return error }
        return .format("\(name): the shard ends \(what)")
    }

    private func decodeSteps() throws {
        let decoder: ZstdStreamDecoder
        do {
            decoder = try ZstdStreamDecoder()
            // Straight into `storage`: through libzstd's window, every byte was copied once more,
            // a quarter of the decoding thread's time.
            try decoder.decodeInPlace()
        } catch let failure as ZstdStreamDecoder.Failure {
            throw MDSError.compression("\(name): \(failure.reason)")
        }
        var hasher = XXH64()
        var position = 0
        var done = 0
        try zip.withUnsafeBytes { input in
            while done < storage.count {
                if condition.withLock({ stopRequested }) {
                    throw MDSError.io("\(name): decoding stopped before the end of the shard")
                }
                let inputEnd = min(position + MDSProgressiveShard.stepInputBytes, input.count)
                let before = (position: position, done: done)
                try decodeStep(decoder, input, &position, inputEnd, &done)
                if done == before.done && position == before.position && inputEnd == input.count {
                    throw MDSError.format("\(name): raw size \(done), index.json says \(storage.count)")
                }
                if rawHash != nil { hasher.update(UnsafeRawBufferPointer(rebasing: storage[before.done..<done])) }
                try publish(done)
            }
            try checkEnd(decoder, input, &position)
        }
        if let rawHash, XXH64.hex(hasher.digest()) != rawHash {
            throw MDSError.hashMismatch(
                file: name + " (raw)", algorithm: "xxh64", expected: rawHash, actual: XXH64.hex(hasher.digest()))
        }
    }

    private func decodeStep(
        _ decoder: ZstdStreamDecoder, _ input: UnsafeRawBufferPointer, _ position: inout Int, _ inputEnd: Int,
        _ done: inout Int
    ) throws {
        do {
            try decoder.decode(input, position: &position, inputEnd: inputEnd, inPlace: storage, written: &done)
        } catch let failure as ZstdStreamDecoder.Failure {
            throw MDSError.compression("\(name): zstd: \(failure.reason) at compressed byte \(position)")
        }
    }

    /// The stream must end with the shard: no more output, and a complete last frame. (The output
    /// buffer is full, so libzstd refuses any further output.)
    private func checkEnd(_ decoder: ZstdStreamDecoder, _ input: UnsafeRawBufferPointer, _ position: inout Int) throws {
        var done = storage.count
        while position < input.count {
            let before = position
            do {
                try decoder.decode(input, position: &position, inputEnd: input.count, inPlace: storage, written: &done)
            } catch let failure as ZstdStreamDecoder.Failure {
                throw MDSError.format(
                    "\(name): decompresses to more than the \(storage.count) bytes of index.json"
                        + " (zstd: \(failure.reason))")
            }
            if position == before { break }
        }
        if !decoder.isAtFrameBoundary || position < input.count {
            throw MDSError.compression("\(name): zstd: truncated frame at compressed byte \(position)")
        }
    }

    /// Makes the first `done` bytes readable; checks the header as soon as its offsets are in.
    private func publish(_ done: Int) throws {
        let bytes = UnsafeRawBufferPointer(storage)
        var header: Int?
        if condition.withLock({ count == nil }) && done >= 8 {
            let n = Int(bytes.readLE(UInt32.self, at: 0))
            guard 4 + 4 * (n + 1) <= storage.count else {
                throw MDSError.format("\(name): sample count \(n) does not fit the file")
            }
            if done >= 4 + 4 * (n + 1) {
                let lastEnd = Int(bytes.readLE(UInt32.self, at: 4 + 4 * n))
                guard lastEnd == storage.count else {
                    throw MDSError.format("\(name): last offset \(lastEnd) != file size \(storage.count)")
                }
                header = n
            }
        }
        condition.withLock {
            decoded = done
            if let header { count = header }
            condition.broadcast()
        }
    }
}

extension MDSDataset {
    /// Shard `i` to be decoded in pieces (`MDSProgressiveShard.decode()` on a thread of the
    /// caller's); nil when the shard is stored uncompressed (`shard(i)` reads it whole).
    public func progressiveShard(_ i: Int) throws -> MDSProgressiveShard? {
        guard index.shards.indices.contains(i) else { throw MDSError.format("\(directory.path): no shard \(i)") }
        let entry = index.shards[i]
        guard entry.zipBasename != nil else { return nil }
        return try MDSProgressiveShard(
            entry: entry, directory: directory, verifyHashes: verifyHashes, buffers: decodeBuffers)
    }
}
