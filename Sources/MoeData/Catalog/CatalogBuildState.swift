import Foundation
import MDS

/// The build's state in the catalog. A build is `in_progress` (packed shards committed one by one,
/// each with the checkpoint that resumes after it) until one transaction records the last shard,
/// the summary, the accounting and `done` together: there is no state in between where a resume
/// could combine an old checkpoint with a shard list that already holds the last shard.
extension Catalog {
    /// Forgets an earlier build and starts this one, in one transaction.
    func startBuild(signature: String, dataset: String) throws {
        try db.transaction {
            try db.run("DELETE FROM shards WHERE dataset = ?", [.text(dataset)])
            try setValue("build.signature", signature)
            try setValue("build.status", "in_progress")
            try setValue("build.checkpoint", "")
        }
    }

    /// What the end of a build records, all or nothing.
    struct BuildResult {
        var lastShard: MDSShardEntry?
        var summary: String
        var accounting: String
        var statsMixture: String
        var mixtureRows: [MixtureRow]
    }

    func finishBuild(_ result: BuildResult, dataset: String) throws {
        try db.transaction {
            if let e = result.lastShard {
                try recordShard(dataset: dataset, ShardRecord(entry: e, documents: e.samples, tokens: 0))
            }
            try setValue("build.summary", result.summary)
            try setValue("build.accounting", result.accounting)
            try setValue("stats.mixture", result.statsMixture)
            try replaceMixtureRows(result.mixtureRows)
            try setValue("build.checkpoint", "")
            try setValue("build.status", "done")
        }
    }
}

extension Catalog {
    /// Records `entries` as the build's shards 0, 1, ... in one transaction (a merge of slices,
    /// whose shard names repeat from one slice folder to the next).
    func recordBuildShards(_ entries: [MDSShardEntry], dataset: String) throws {
        try db.transaction {
            for (i, e) in entries.enumerated() {
                try recordShard(dataset: dataset, ShardRecord(entry: e, documents: e.samples, tokens: 0), index: i)
            }
        }
    }
}
