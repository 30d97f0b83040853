import Foundation
import MDS
import PackedFormat

/// Reads a build's packed rows in row order and hands over those of one phase, as views of the
/// columns an export uses (`PackedRowView`): the tokens, and with the provenance the segments'
/// lengths. The other per-token columns are skipped where they lie. Memory is bounded by
/// `ShardSampleStream`'s pieces, not by the shards.
struct PackedRowReader {
    let output: BuiltOutput

    /// Calls `body` with the global row number and each row of `phase`, in row order, from row
    /// `start` on (the shards before it are not read); the provenance and the segment lengths
    /// are decoded only `withProvenance`. The row's views are valid during the call.
    func forEachRow(
        of phase: Int, from start: Int = 0, withProvenance: Bool, _ body: (Int, PackedRowView) throws -> Void
    ) throws {
        let packed = output.packed
        let locator = RowLocator(shardRows: packed.index.shards.map(\.samples))
        // Rows before the phase's first one are neither read nor decompressed.
        let start = max(start, output.firstRow(of: phase))
        guard let (first, _) = locator.locate(start) else { return }
        var seenPhase = false
        var columns: PackedRowColumns?
        let stream = ShardSampleStream(dataset: packed, shards: first..<packed.shardCount)
        defer { stream.close() }
        do {
            try stream.forEachSample { shard, local, bytes in
                let row = locator.firstRow(ofShard: shard) + local
                if row < start { return true }
                if columns?.shard != shard {
                    columns = try PackedRowColumns(dataset: packed, shard: shard, layout: output.metadata.layout)
                }
                try columns?.locate(bytes, index: local)
                guard let columns, try columns.rowPhase() == phase else {
                    // Phases follow each other in row order: past the phase's rows, nothing is left to read.
                    return !seenPhase
                }
                seenPhase = true
                try body(row, try columns.row(withProvenance: withProvenance, index: local))
                return true
            }
        } catch let error as MDSError {
            throw MoeDataError("\(error)")
        }
    }
}
