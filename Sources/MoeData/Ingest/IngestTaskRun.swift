import Foundation
import JSON

/// The keys a task of a partitioned ingest keeps in its catalog's `kv` table.
public enum IngestTaskKeys {
    public static let index = "task.index"
    public static let count = "task.count"
    /// The input digest (`Ingest.inputDigest`): tasks of one ingest share it; a changed input file,
    /// setting or tokenizer changes it.
    public static let partition = "task.partition"
    /// The task's share of the input, in bytes on disk.
    public static let bytes = "task.bytes"
    /// The sources of the manifest, in order (JSON array of names).
    public static let sources = "task.sources"
    /// The error sentence of the last failed attempt (removed when an attempt starts).
    public static let error = "task.error"
    /// JSON {documents, tokens, skipped, bytes}, updated at every committed shard.
    public static let progress = "task.progress"
}

/// Runs one task of a partitioned ingest (`moe-data ingest --task I --tasks N`): under the task's
/// own lock, on the task's own catalog, skipped when its completion marker says it is done with
/// this partition, started again (and said so) when the input changed since it began, resumed
/// after its last committed shard otherwise. A finished task writes `tasks/task-NNNNN.done`.
public struct IngestTaskRun {
    public let ingest: Ingest
    public let task: IngestTask

    public init(manifest: Manifest, options: Ingest.Options, task: IngestTask) {
        ingest = Ingest(manifest: manifest, options: options, task: task)
        self.task = task
    }

    var files: IngestTaskFiles { IngestTaskFiles(outputDirectory: ingest.manifest.output) }

    public enum Outcome {
        /// Ingested now (resumed or from the start).
        case ran([Ingest.SourceSummary], IngestTaskDone)
        /// Already done with this partition: nothing to do.
        case alreadyDone(IngestTaskDone)
    }

    /// Runs the task; `tokenizer` is loaded only when there is work to do.
    public func run(
        tokenizer: () throws -> Tokenizer, progress: ProgressLine, arguments: [String] = CommandLine.arguments
    ) throws -> Outcome {
        try OutputFolder.create(ingest.manifest.output)
        try FileManager.default.createDirectory(atPath: files.directory, withIntermediateDirectories: true)
        let lock = try OutputLock(
            lockFile: files.lockPath(task.index), holding: "\(ingest.manifest.output) (\(task.name))",
            arguments: arguments)
        defer { withExtendedLifetime(lock) {} }
        let tokenizer = try tokenizer()
        let digest = ingest.inputDigest(partition: task.partition, tokenizer: tokenizer)
        let donePath = files.donePath(task.index)
        if let done = try IngestTaskDone.read(path: donePath) {
            if done.partition == digest && done.tasks == task.count && !ingest.options.restart {
                return .alreadyDone(done)
            }
            try FileManager.default.removeItem(atPath: donePath)
        }
        let catalog = try openCatalog(digest: digest)
        let runID = try catalog.beginRun(command: "ingest", arguments: arguments)
        let started = Date()
        do {
            let summaries = try ingest.run(catalog: catalog, tokenizer: tokenizer, progress: progress)
            var totals = Catalog.Totals()
            for s in summaries { totals.add(s.totals) }
            let done = IngestTaskDone(
                task: task.index, tasks: task.count, partition: digest,
                documents: totals.documents, tokens: totals.tokens, skipped: totals.skipped,
                bytes: totals.bytesIn, seconds: Date().timeIntervalSince(started))
            try catalog.endRun(runID, status: "done")
            try done.write(path: donePath)
            return .ran(summaries, done)
        } catch {
            try? catalog.setValue(IngestTaskKeys.error, "\(error)")
            try? catalog.endRun(runID, status: "failed: \(error)")
            throw error
        }
    }

    /// The task's catalog, forgotten with the task's shards when it was made from another
    /// partition (an input file changed, or another task count): old shards are never mixed with
    /// new ones. Says so on stderr.
    func openCatalog(digest: String) throws -> Catalog {
        let path = files.catalogPath(task.index)
        var catalog = try Catalog(path: path, rollbackJournal: true)
        let recorded = try catalog.value(IngestTaskKeys.partition)
        let count = try catalog.value(IngestTaskKeys.count)
        if let recorded, recorded != digest || count != String(task.count) || ingest.options.restart {
            if !ingest.options.restart && !ingest.options.quiet {
                let line =
                    "\(task.name): the input, the settings or the task count changed since this task started "
                    + "(input digest \(recorded) of \(count ?? "?") tasks, now \(digest) of \(task.count)); "
                    + "its earlier work is discarded and it starts again\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
            catalog = try resetTask(catalog)
        }
        try catalog.setValue(IngestTaskKeys.index, String(task.index))
        try catalog.setValue(IngestTaskKeys.count, String(task.count))
        try catalog.setValue(IngestTaskKeys.partition, digest)
        try catalog.setValue(IngestTaskKeys.bytes, String(task.partition.bytes(ofTask: task.index)))
        let names = JSONValue.array(ingest.manifest.sources.map { .string($0.name) })
        try catalog.setValue(IngestTaskKeys.sources, names.encoded())
        try catalog.deleteValue(IngestTaskKeys.error)
        return catalog
    }

    /// Deletes the task's catalog and its shard folders; returns a new, empty catalog.
    func resetTask(_ old: Catalog) throws -> Catalog {
        let path = old.path
        withExtendedLifetime(old) {}
        for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        for source in ingest.manifest.sources {
            try? FileManager.default.removeItem(at: ingest.shardDirectory(source))
        }
        return try Catalog(path: path, rollbackJournal: true)
    }
}
