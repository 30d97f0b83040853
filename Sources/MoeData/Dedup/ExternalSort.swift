import Foundation

/// Sorts files of fixed-size records by their bytes (keys are written big-endian, so byte order is
/// key order) in memory bounded by `bufferBytes`: runs of that size are sorted and written to
/// `directory`, then merged. Equal records keep no particular order: callers make every record
/// unique (each ends with its document's key).
struct ExternalSort {
    let recordSize: Int
    let bufferBytes: Int
    let directory: URL
    let name: String

    /// The records of `inputs`, sorted, as a stream of runs to merge.
    func sorted(_ inputs: [URL]) throws -> SortedRecordMerge {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let perRun = max(1, bufferBytes / recordSize)
        var runs: [URL] = []
        var pending: [UInt8] = []
        pending.reserveCapacity(perRun * recordSize)
        func writeRun() throws {
            guard !pending.isEmpty else { return }
            let url = directory.appendingPathComponent("\(name).run\(runs.count)")
            let writer = try RecordFileWriter(url: url)
            for record in sortedRecords(pending) { try writer.append(record) }
            try writer.close()
            runs.append(url)
            pending.removeAll(keepingCapacity: true)
        }
        for input in inputs {
            let reader = try RecordFileReader(url: input, recordSize: recordSize)
            while let record = try reader.next() {
                pending.append(contentsOf: record)
                if pending.count >= perRun * recordSize { try writeRun() }
            }
        }
        try writeRun()
        return try SortedRecordMerge(runs: runs, recordSize: recordSize)
    }

    /// The records of `bytes` in byte order.
    private func sortedRecords(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        let size = recordSize
        var order = Array(0..<(bytes.count / size))
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            order.sort { a, b in memcmp(base + a * size, base + b * size, size) < 0 }
        }
        return order.map { bytes[($0 * size)..<($0 * size + size)] }
    }
}

/// Merges sorted runs into one sorted stream, and deletes them when done.
final class SortedRecordMerge {
    private let readers: [RecordFileReader]
    private let runs: [URL]
    /// The current record of each run, nil once it is read out.
    private var heads: [ArraySlice<UInt8>?]

    init(runs: [URL], recordSize: Int) throws {
        self.runs = runs
        // Runs share the merge's memory: a few MiB in all.
        let bufferBytes = max(recordSize * 64, (8 << 20) / max(1, runs.count))
        readers = try runs.map { try RecordFileReader(url: $0, recordSize: recordSize, bufferBytes: bufferBytes) }
        heads = try readers.map { try $0.next() }
    }

    deinit {
        for run in runs { try? FileManager.default.removeItem(at: run) }
    }

    /// The smallest record left, or nil when every run is read out. A linear scan of the heads:
    /// runs are few (the input over the buffer size).
    func next() throws -> [UInt8]? {
        var best: Int?
        for (i, head) in heads.enumerated() {
            guard let head else { continue }
            if let b = best, let current = heads[b], !head.lexicographicallyPrecedes(current) { continue }
            best = i
        }
        guard let best, let record = heads[best] else { return nil }
        heads[best] = try readers[best].next()
        return Array(record)
    }
}
