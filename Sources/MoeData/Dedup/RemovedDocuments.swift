import FileSupport
import Foundation

/// The canonical numbers of a source's removed documents, as the mixer reads them:
/// `<output>/dedup/removed/<source>.removed`, a header line naming the token dataset it was made for
/// (the xxh64 of its index.json), then the numbers as sorted 8-byte little-endian integers. The
/// dedup stage writes the file; without one (no `dedup:` in the manifest) nothing is removed.
enum RemovedDocuments {
    static let magic = "moe-data removed documents 1 index "

    static func file(outputDirectory: URL, source: String) -> URL {
        DedupLayout(outputDirectory: outputDirectory.path).removed.appendingPathComponent("\(source).removed")
    }

    /// The xxh64 of a token dataset's index.json: the header of its removal file.
    static func indexDigest(_ sourceDirectory: URL) throws -> String {
        let url = sourceDirectory.appendingPathComponent("index.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MoeDataError("\(url.path): cannot read the token index")
        }
        return XXH64.hex(XXH64.hash(data))
    }

    static func write(_ ordinals: [Int], sourceDirectory: URL, to url: URL) throws {
        var bytes = Array((magic + (try indexDigest(sourceDirectory)) + "\n").utf8)
        for ordinal in ordinals.sorted() { withUnsafeBytes(of: UInt64(ordinal).littleEndian) { bytes += $0 } }
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(bytes, to: url)
    }

    /// The sorted removed numbers of the source whose token dataset is `sourceDirectory`
    /// (`<output>/tokens/<source>`), or nil when there is no removal file.
    static func load(sourceDirectory: URL, source: String) throws -> [Int]? {
        let output = sourceDirectory.deletingLastPathComponent().deletingLastPathComponent()
        let url = file(outputDirectory: output, source: source)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let bytes = [UInt8](data)
        let header = Array((magic + (try indexDigest(sourceDirectory)) + "\n").utf8)
        guard bytes.starts(with: header), (bytes.count - header.count) % 8 == 0 else {
            throw MoeDataError(
                "\(url.path): made for other token shards of source '\(source)' than these; run `moe-data dedup` "
                    + "(or `build`) again")
        }
        return stride(from: header.count, to: bytes.count, by: 8).map { start in
            Int(bytes[start..<(start + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        }
    }
}

extension RemovedDocuments {
    /// Whether the sorted `ordinals` hold `ordinal` (binary search).
    static func contains(_ ordinals: [Int], _ ordinal: Int) -> Bool {
        var lo = 0
        var hi = ordinals.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ordinals[mid] < ordinal { lo = mid + 1 } else { hi = mid }
        }
        return lo < ordinals.count && ordinals[lo] == ordinal
    }
}
