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

/// A shard cut by `MDSWriter.cut()`: its samples, not yet a file. `write()` makes the file (header,
/// hashes, zstd, temporary name, fsync, rename), the costly part of writing a shard; it depends on
/// nothing but the shard itself, so shards can be written on several threads at once and give the
/// same bytes as `MDSWriter.flush()`.
public struct MDSPendingShard: Sendable {
    /// The shard's number in the dataset (its file name).
    public let index: Int
    let sampleData: [UInt8]
    /// End of each sample in `sampleData`.
    let sampleEnds: [Int]
    let file: MDSShardFile

    /// Writes the shard's file under its final name and returns its `index.json` entry.
    public func write() throws -> MDSShardEntry {
        let raw = try rawBytes()
        let rawName = String(format: "shard.%05d.mds", index)
        let rawHash = ["xxh64": XXH64.hex(XXH64.hash(raw))]
        var entry = MDSShardEntry(
            columns: file.columns, compression: file.compressionName, hashes: ["xxh64"], sizeLimit: file.sizeLimit,
            samples: sampleEnds.count, rawBasename: rawName, rawBytes: raw.count, rawHashes: rawHash,
            zipBasename: nil, zipBytes: nil, zipHashes: nil)
        if let level = file.compressionLevel {
            let zip = try raw.withUnsafeBytes { try Zstd.compress($0, level: level) }
            entry.zipBasename = rawName + ".zstd"
            entry.zipBytes = zip.count
            entry.zipHashes = ["xxh64": XXH64.hex(XXH64.hash(zip))]
            try AtomicFile.write(
                zip, to: file.directory.appendingPathComponent(rawName + ".zstd"), beforeRename: file.beforeRename)
        } else {
            try AtomicFile.write(
                raw, to: file.directory.appendingPathComponent(rawName), beforeRename: file.beforeRename)
        }
        return entry
    }

    /// The shard file's uncompressed bytes: sample count, offsets, header JSON, samples.
    private func rawBytes() throws -> [UInt8] {
        let n = sampleEnds.count
        let base = 4 + 4 * (n + 1) + file.configData.count
        guard base + sampleData.count < (1 << 32) else { throw MDSError.format("shard exceeds 4 GiB") }
        var raw: [UInt8] = []
        raw.reserveCapacity(base + sampleData.count)
        raw.appendLE(UInt32(n))
        raw.appendLE(UInt32(base))
        for end in sampleEnds { raw.appendLE(UInt32(base + end)) }
        raw.append(contentsOf: file.configData)
        raw.append(contentsOf: sampleData)
        return raw
    }
}
