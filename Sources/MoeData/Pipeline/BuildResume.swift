import Foundation
import MDS

/// What an earlier build with the same signature left: a finished build is reused, an
/// interrupted one resumed after its last committed shard.
extension Build {
    /// The summary of a finished build with this signature, once its rows are in place; nil when
    /// there is none, or its rows were deleted or damaged (they are built again).
    func finishedBuild(signature: String, catalog: Catalog, tokenizer: Tokenizer, seed: UInt64) throws -> Summary? {
        guard !options.restart, try catalog.value("build.signature") == signature,
            try catalog.value("build.status") == "done",
            let summaryText = try catalog.value("build.summary"),
            let counters = try? JSONDecoder().decode([PhaseCounters].self, from: Data(summaryText.utf8)),
            let accountingText = try catalog.value("build.accounting"),
            let accounting = try? JSONDecoder().decode(MixAccounting.self, from: Data(accountingText.utf8))
        else { return nil }
        var result = summary(counters, accounting: accounting, upToDate: true)
        // "Up to date" only when the recorded rows are on disk; a kill after the final commit
        // is finished here.
        switch try publish(catalog: catalog, tokenizer: tokenizer, seed: seed, rows: result.rows) {
        case .current: return result
        case .published: result.upToDate = false; return result
        case .missing: return nil
        }
    }

    /// An interrupted build with this signature: its checkpoint and the shards committed before
    /// it (in `directory`, by default `packed.partial/`). Nil when there is none, or a shard it
    /// counts on is gone (the build starts again).
    func interruptedBuild(signature: String, catalog: Catalog, directory: URL? = nil) throws -> (
        checkpoint: BuildCheckpoint,
        shards: [MDSShardEntry]
    )? {
        guard !options.restart, try catalog.value("build.signature") == signature,
            try catalog.value("build.status") == "in_progress",
            let text = try catalog.value("build.checkpoint"), !text.isEmpty
        else { return nil }
        let checkpoint: BuildCheckpoint
        do { checkpoint = try JSONDecoder().decode(BuildCheckpoint.self, from: Data(text.utf8)) } catch {
            throw MoeDataError(
                "\(catalog.path): the build checkpoint cannot be read (\(error)); run again with --restart to "
                    + "rebuild from the start")
        }
        let shards = try catalog.shardEntries(dataset: PackedRows.directoryName)
        guard PackedPublisher.holdsShards(directory ?? publisher.partial, shards, hashing: false) else { return nil }
        let phase = min(checkpoint.packerPhase, mixture.phases.count - 1)
        guard phase >= 0,
            (try? Packer(rowLength: mixture.phases[phase].seqLen, resumingFrom: checkpoint.packer)) != nil
        else {
            throw MoeDataError("\(catalog.path): the build checkpoint's open row overflows; run again with --restart")
        }
        return (checkpoint, shards)
    }
}
