import Foundation
import MDS
import PackedFormat

/// The build's write step: writes packed rows to MDS shards in `packed.partial/`, and commits each
/// shard the writer completes to the catalog, together with the checkpoint that resumes after it.
///
/// Rows are encoded on the calling thread. With `jobs` 1 the shards are written there too. With
/// more, cut shards go to a `BackgroundShardWriter`: they are compressed, hashed and written on
/// other threads, and committed in shard order, each once its file is in place, with the same
/// checkpoint; the bytes are the same.
struct RowWriteStep {
    let writer: MDSWriter
    let committer: ShardCommitter
    /// The manifest's `packed_format`.
    let layout: PackedRowLayout
    private let background: BackgroundShardWriter?

    init(writer: MDSWriter, catalog: Catalog, signature: String, layout: PackedRowLayout, jobs: Int = 1) {
        self.writer = writer
        self.layout = layout
        committer = ShardCommitter(catalog: catalog, signature: signature)
        background = jobs > 1 ? BackgroundShardWriter(writer: writer, committer: committer, jobs: jobs) : nil
    }

    /// Writes a row. `from` is the state of the steps before the example that closed it.
    func write(_ closed: PackStep.ClosedRow, from: ResumePoint) throws {
        let row = RowToWrite(closed: closed, from: from)
        let values = try row.values(layout: layout)
        if let background {
            // A completed shard holds the rows before this one: the checkpoint regenerates this row.
            guard let shard = try writer.append(values) else { return try background.commitWritten() }
            return try background.send(shard, checkpoint: row.checkpoint(signature: committer.signature))
        }
        guard let shard = try writer.write(values) else { return }
        try committer.commit(shard, checkpoint: row.checkpoint(signature: committer.signature))
    }

    /// Writes the last, partly filled shard (nil when there is none), once every shard before it
    /// is committed.
    func flush() throws -> MDSShardEntry? {
        let last: MDSShardEntry?
        if let background {
            if let shard = try writer.cut(last: true) { try background.send(shard, checkpoint: nil) }
            last = try background.finish()
        } else {
            last = try writer.flush()
        }
        if last != nil { try FaultPoint.packedLastShardWritten.reached() }
        return last
    }

    /// Stops the background threads after a failure elsewhere (nothing more is committed).
    func abandon() {
        background?.stop()
    }
}

/// A closed row on its way to the writer, with what the checkpoint of a shard it starts needs.
struct RowToWrite {
    let closed: PackStep.ClosedRow
    let from: ResumePoint

    func values(layout: PackedRowLayout) throws -> [MDSValue] {
        try PackedRows.values(closed.row, phase: closed.phase, layout: layout)
    }

    /// The checkpoint committed with the shard before this row: it regenerates this row.
    func checkpoint(signature: String) -> BuildCheckpoint {
        BuildCheckpoint(regenerating: closed, from: from, signature: signature)
    }
}

/// Commits a written shard to the catalog with its checkpoint.
struct ShardCommitter {
    let catalog: Catalog
    let signature: String

    func commit(_ shard: MDSShardEntry, checkpoint: BuildCheckpoint) throws {
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
