import Foundation
import MDS
import PackedFormat

/// The build's write step: writes packed rows to MDS shards in `packed.partial/`, and commits each
/// shard the writer completes to the catalog, together with the checkpoint that resumes after it.
struct RowWriteStep {
    let writer: MDSWriter
    let catalog: Catalog
    let signature: String
    /// The manifest's `packed_format`.
    let layout: PackedRowLayout

    /// Writes a row. `from` is the state of the steps before the example that closed it.
    func write(_ closed: PackStep.ClosedRow, from: ResumePoint) throws {
        // A completed shard holds the rows before this one: the checkpoint regenerates this row.
        let values = try PackedRows.values(closed.row, phase: closed.phase, layout: layout)
        guard let shard = try writer.write(values) else { return }
        try commit(shard, checkpoint: BuildCheckpoint(regenerating: closed, from: from, signature: signature))
    }

    /// Writes the last, partly filled shard (nil when there is none).
    func flush() throws -> MDSShardEntry? {
        let last = try writer.flush()
        if last != nil { try FaultPoint.packedLastShardWritten.reached() }
        return last
    }

    private func commit(_ shard: MDSShardEntry, checkpoint: BuildCheckpoint) throws {
        try FaultPoint.packedShardWritten.reached()
        let text = String(decoding: try JSONEncoder().encode(checkpoint), as: UTF8.self)
        try catalog.commitBuildShard(
            shard, dataset: PackedRows.directoryName, rowsBefore: checkpoint.rows,
            checkpoint: text)
        try FaultPoint.packedShardCommitted.reached()
    }
}

/// The steps' state before an example is drawn: with the packer's, what a checkpoint resumes from.
struct ResumePoint {
    var mixer: MixerState
    var exampleIndex: UInt64
    var accounting: MixAccounting
    var objectiveCounters: [ObjectiveCounters]
}
