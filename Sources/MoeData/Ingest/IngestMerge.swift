import FileSupport
import Foundation
import JSON
import MDS

/// `moe-data merge`: indexes the finished tasks of a partitioned ingest as one ingest.
///
/// It never rewrites a token shard. The output catalog gets every task's rows (sources and files
/// summed, skips and shards in task order, shards renumbered), and `tokens/<source>/index.json`
/// lists the tasks' shards in task order, which is the canonical document order (source, file,
/// record), with basenames `task-NNNNN/shard…` as mosaicml-streaming's `merge_index` writes them.
/// `tokens/index.json` lists every source, as a one-machine ingest writes it. All tasks must be
/// done, from the same input (`IngestTaskKeys.partition`); otherwise nothing is merged and the
/// error names the tasks that are missing and why.
public struct IngestMerge {
    public let outputDirectory: String

    public init(outputDirectory: String) {
        self.outputDirectory = outputDirectory
    }

    var files: IngestTaskFiles { IngestTaskFiles(outputDirectory: outputDirectory) }
    var tokensDirectory: URL { URL(fileURLWithPath: outputDirectory).appendingPathComponent("tokens") }

    public struct Summary: Sendable {
        public var tasks: Int
        public var sources: [String]
        public var documents = 0, tokens = 0, skipped = 0, shards = 0
        public var seconds = 0.0
    }

    static let mergedKey = "merge.input"
    static let mergedTasksKey = "merge.tasks"

    /// The finished tasks: all N markers with one input digest, or an error naming what is missing.
    func finishedTasks() throws -> (count: Int, digest: String, done: [IngestTaskDone]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: files.directory)) ?? []
        let markers = try names.filter { $0.hasPrefix("task-") && $0.hasSuffix(".done") }.sorted().compactMap {
            try IngestTaskDone.read(path: (files.directory as NSString).appendingPathComponent($0))
        }
        var counts = Set(markers.map(\.tasks))
        for name in names where name.hasPrefix("task-") && name.hasSuffix(".sqlite") {
            let path = (files.directory as NSString).appendingPathComponent(name)
            let catalog = try Catalog(path: path, rollbackJournal: true)
            if let n = try catalog.value(IngestTaskKeys.count).flatMap({ Int($0) }) { counts.insert(n) }
        }
        guard let count = counts.first else {
            throw MoeDataError("\(files.directory): no task of a partitioned ingest is here; nothing to merge")
        }
        guard counts.count == 1 else {
            throw MoeDataError(
                "\(files.directory): tasks of ingests with different task counts (\(counts.sorted())) are mixed "
                    + "here; rerun every task with one --tasks N")
        }
        let digests = Dictionary(grouping: markers, by: \.partition)
        // The digest most tasks share (ties: the larger digest, so the choice never depends on order).
        let digest = digests.max { ($0.value.count, $0.key) < ($1.value.count, $1.key) }?.key ?? ""
        var problems: [String] = []
        var done: [IngestTaskDone] = []
        for index in 0..<count {
            if let marker = markers.first(where: { $0.task == index && $0.partition == digest }) {
                done.append(marker)
            } else {
                problems.append(try describeUnfinished(index, digest: digest))
            }
        }
        guard problems.isEmpty else {
            throw MoeDataError(
                "cannot merge \(outputDirectory): \(problems.count) of \(count) tasks are not done: "
                    + problems.joined(separator: "; ")
                    + " (run them again: `moe-data slurm` resubmits only those, or `moe-data ingest <manifest> "
                    + "--task I --tasks \(count)`)")
        }
        return (count, digest, done)
    }

    /// Why task `index` has no usable marker: failed (with its error), other input, started, or not started.
    func describeUnfinished(_ index: Int, digest: String) throws -> String {
        let name = IngestTask.name(index)
        if let marker = try IngestTaskDone.read(path: files.donePath(index)), marker.partition != digest {
            return "\(name) was done from other input (input digest \(marker.partition), the others \(digest))"
        }
        guard FileManager.default.fileExists(atPath: files.catalogPath(index)) else { return "\(name) not started" }
        let catalog = try Catalog(path: files.catalogPath(index), rollbackJournal: true)
        if let error = try catalog.value(IngestTaskKeys.error) { return "\(name) failed: \(error)" }
        return "\(name) started but did not finish (running, or killed)"
    }

    /// Merges unless the catalog already holds this merge; then checks that the merged sources are
    /// those `ingest` would write now (same input and settings), so stale tasks are never reused.
    func mergeIfNeeded(into catalog: Catalog, expecting ingest: Ingest, tokenizer: Tokenizer, quiet: Bool) throws {
        let (count, digest, done) = try finishedTasks()
        let partition = try IngestPartition(manifest: ingest.manifest, taskCount: count)
        let now = ingest.inputDigest(partition: partition, tokenizer: tokenizer)
        guard now == digest else {
            throw MoeDataError(
                "\(files.directory): the \(count) tasks here were made from other input, settings or tokenizer "
                    + "than the manifest gives now (input digest \(digest), now \(now)); run the tasks again "
                    + "with --tasks \(count), or delete \(files.directory) to ingest on this machine")
        }
        if try catalog.value(Self.mergedKey) == digest { return }
        let summary = try merge(into: catalog, count: count, digest: digest, done: done)
        if !quiet {
            let line =
                "merged \(summary.tasks) ingest tasks: \(summary.documents) documents, \(summary.tokens) tokens, "
                + "\(summary.shards) shards in \(String(format: "%.2f", summary.seconds)) s\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// `moe-data merge`: merges the finished tasks into the output's catalog.
    public func run(catalog: Catalog) throws -> Summary {
        let (count, digest, done) = try finishedTasks()
        return try merge(into: catalog, count: count, digest: digest, done: done)
    }

    func merge(into catalog: Catalog, count: Int, digest: String, done: [IngestTaskDone]) throws -> Summary {
        let started = Date()
        let first = try Catalog(path: files.catalogPath(0), rollbackJournal: true)
        guard let sourcesJSON = try first.value(IngestTaskKeys.sources),
            let names = try JSONValue.parse(Data(sourcesJSON.utf8)).arrayValue?.compactMap(\.stringValue)
        else { throw MoeDataError("\(first.path): no \(IngestTaskKeys.sources) recorded; run task 0 again") }
        withExtendedLifetime(first) {}
        let db = catalog.db
        try db.transaction {
            try db.run("DELETE FROM kv WHERE key IN (?, ?)", [.text(Self.mergedKey), .text(Self.mergedTasksKey)])
            for name in names {
                for table in ["files", "skips", "cursors", "document_ids"] {
                    try db.run("DELETE FROM \(table) WHERE source = ?", [.text(name)])
                }
                try db.run("DELETE FROM shards WHERE dataset = ?", [.text("tokens/" + name)])
                try db.run("DELETE FROM sources WHERE name = ?", [.text(name)])
                try db.run("DELETE FROM kv WHERE key = ?", [.text("ingest.resumed." + name)])
            }
        }
        var shardCounts: [String: Int] = [:]
        for index in 0..<count {
            try mergeTask(index, into: catalog, shardCounts: &shardCounts)
        }
        var summary = Summary(tasks: count, sources: names)
        try db.transaction {
            try finishFiles(db)
            for name in names {
                let totals = try db.query(
                    "SELECT documents, skipped, file_errors, tokens, bytes_in, bytes_out, files FROM sources "
                        + "WHERE name = ?", [.text(name)]
                ).first?.map { $0?.int ?? 0 } ?? [0, 0, 0, 0, 0, 0, 0]
                let cursor = Catalog.Cursor(
                    position: RecordPosition(fileIndex: totals[6], record: 0),
                    totals: Catalog.Totals(
                        documents: totals[0], skipped: totals[1], fileErrors: totals[2], tokens: totals[3],
                        bytesIn: totals[4], bytesOut: totals[5]),
                    file: Catalog.FileCounters())
                try catalog.writeCursor(name, cursor)
                summary.documents += totals[0]
                summary.skipped += totals[1]
                summary.tokens += totals[3]
            }
            try catalog.setValue(Self.mergedTasksKey, String(count))
            try catalog.setValue(Self.mergedKey, digest)
        }
        for name in names {
            let entries = try catalog.shardEntries(dataset: "tokens/" + name)
            summary.shards += entries.count
            let dir = tokensDirectory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try MDSIndex(shards: entries).write(to: dir)
        }
        try Ingest.writeTopLevelIndex(tokensDirectory: tokensDirectory, sources: names)
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }
}
