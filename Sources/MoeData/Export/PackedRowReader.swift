import Foundation
import MDS
import PackedFormat

/// Reads a build's packed rows in row order and hands over those of one phase; in memory, the
/// decompressed shard being read and the next one.
struct PackedRowReader {
    let output: BuiltOutput

    /// Calls `body` with the global row number and each row of `phase`, in row order, from row
    /// `start` on (the shards before it are not read); the provenance is decoded only `withProvenance`.
    func forEachRow(
        of phase: Int, from start: Int = 0, withProvenance: Bool, _ body: (Int, PackedRow) throws -> Void
    ) throws {
        let packed = output.packed
        let locator = RowLocator(shardRows: packed.index.shards.map(\.samples))
        // Rows before the phase's first one are neither read nor decompressed.
        let start = max(start, output.firstRow(of: phase))
        guard let (first, _) = locator.locate(start) else { return }
        var row = locator.firstRow(ofShard: first)
        var seenPhase = false
        // The next shard is decompressed on another thread while this one is read.
        let ahead = ShardReadAhead(dataset: packed, limit: 1)
        defer { ahead.close() }
        for index in first..<packed.shardCount {
            let entry = packed.index.shards[index]
            let shard: MDSShard
            do { shard = try ahead.shard(index) } catch { throw MoeDataError("\(error)") }
            ahead.request([index + 1].filter { $0 < packed.shardCount })
            for local in 0..<shard.count {
                defer { row += 1 }
                if row < start { continue }
                let sample = try shard.sampleByName(local)
                guard PackedRow.phase(of: sample) == phase else {
                    // Phases follow each other in row order: past the phase's rows, nothing is left to read.
                    if seenPhase { return }
                    continue
                }
                seenPhase = true
                let origin = PackedRow.origin(directory: packed.directory, shard: entry, row: local)
                do {
                    let decoded = try PackedRow(
                        sample: sample, layout: output.metadata.layout, origin: origin, withProvenance: withProvenance)
                    try body(row, decoded)
                } catch let error as PackedFormatError {
                    throw MoeDataError("\(error)")
                }
            }
        }
    }
}
