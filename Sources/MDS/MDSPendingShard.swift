import FileSupport
import Foundation

/// What every shard file of one writer shares: where it goes, its columns and its compression.
struct MDSShardFile: Sendable {
    let directory: URL
    let columns: [MDSColumn]
    let compressionLevel: Int32?
    let sizeLimit: Int
    /// The shard header's JSON (the writer's column and compression settings).
    let configData: [UInt8]
    let beforeRename: (@Sendable () throws -> Void)?

    var compressionName: String? { compressionLevel.map { $0 == 3 ? "zstd" : "zstd:\($0)" } }
}

/// A shard cut by `MDSWriter.cut()`: the bytes of its file, uncompressed, not yet written.
/// `write()` makes the file (xxh64, zstd, temporary name, fsync, rename), the costly part of
/// writing a shard; it depends on nothing but the shard, so shards can be written on several
/// threads at once and give the same bytes as `MDSWriter.flush()`.
public final class MDSPendingShard: @unchecked Sendable {
    /// The shard's number in the dataset (its file name).
    public let index: Int
    /// The uncompressed file from `start` on: sample count, offsets, header JSON, samples. Given
    /// back to `buffers` once written.
    private var raw: [UInt8]
    private let start: Int
    private let samples: Int
    private let buffers: MDSShardBuffers
    private let file: MDSShardFile
    /// zstd's workers for this shard (`Zstd.compress`).
    private let compressionWorkers: Int

    init(
        index: Int, raw: [UInt8], start: Int, samples: Int, buffers: MDSShardBuffers, file: MDSShardFile,
        compressionWorkers: Int
    ) {
        self.index = index
        self.compressionWorkers = compressionWorkers
        self.raw = raw
        self.start = start
        self.samples = samples
        self.buffers = buffers
        self.file = file
    }

    /// Writes the shard's file under its final name and returns its `index.json` entry. Call once:
    /// the bytes go back to the writer for its next shard.
    public func write() throws -> MDSShardEntry {
        defer {
            // Moved out, so that the buffer is not shared when it is emptied (that would copy it).
            var buffer: [UInt8] = []
            swap(&buffer, &raw)
            buffers.put(&buffer)
        }
        let rawName = String(format: "shard.%05d.mds", index)
        let rawHash = ["xxh64": XXH64.hex(XXH64.hash(raw[start...]))]
        var entry = MDSShardEntry(
            columns: file.columns, compression: file.compressionName, hashes: ["xxh64"], sizeLimit: file.sizeLimit,
            samples: samples, rawBasename: rawName, rawBytes: raw.count - start, rawHashes: rawHash,
            zipBasename: nil, zipBytes: nil, zipHashes: nil)
        if let level = file.compressionLevel {
            let zip = try raw[start...].withUnsafeBytes {
                try Zstd.compress($0, level: level, workers: compressionWorkers)
            }
            entry.zipBasename = rawName + ".zstd"
            entry.zipBytes = zip.count
            entry.zipHashes = ["xxh64": XXH64.hex(XXH64.hash(zip))]
            try AtomicFile.write(
                zip, to: file.directory.appendingPathComponent(rawName + ".zstd"), beforeRename: file.beforeRename)
        } else {
            try AtomicFile.write(
                start == 0 ? raw : Array(raw[start...]), to: file.directory.appendingPathComponent(rawName),
                beforeRename: file.beforeRename)
        }
        return entry
    }
}

/// Shard buffers that written shards gave back, emptied, for the writer's next shards (shared
/// with the threads that write them).
final class MDSShardBuffers: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [[UInt8]] = []
    /// Buffers made because none was given back (for the test of the writer's memory).
    private(set) var made = 0

    /// An empty buffer with room for `capacity` bytes: a given-back one when there is one.
    func take(capacity: Int) -> [UInt8] {
        var buffer = lock.withLock {
            if let given = free.popLast() { return given }
            made += 1
            return []
        }
        buffer.reserveCapacity(capacity)
        return buffer
    }

    /// Keeps `buffer`'s memory (leaving `buffer` empty); it must not be shared, or emptying it copies it.
    func put(_ buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        lock.withLock { free.append(buffer) }
        buffer = []
    }
}
