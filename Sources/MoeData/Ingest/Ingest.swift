import FileSupport
import Foundation
import JSON
import MDS

/// `moe-data ingest`: every source of a manifest → an MDS dataset of token ids per source,
/// recorded in the catalog.
///
/// The pipeline per source is read → tokenize (parallel) → write, with data flowing one way.
/// Records are read in a fixed order (files sorted, records in file order) and written in that
/// same order, so the shards are a pure function of the inputs, whatever `jobs` is. After each
/// shard is written, the catalog commits the shard, the skips and files before it, and a cursor
/// (file index, record number): a killed run resumes there and writes the same bytes.
public struct Ingest {
    public struct Options: Sendable {
        public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
        public var quiet = false
        /// Start every source again from nothing.
        public var restart = false
        /// Documents per parallel batch are cut at this many bytes of text.
        public var batchBytes = 4 << 20
        public init() {}
    }

    public struct SourceSummary: Sendable {
        public var name: String
        public var reused: Bool
        public var totals: Catalog.Totals
        public var shards: Int
    }

    public let manifest: Manifest
    public let options: Options
    /// The task of a partitioned ingest this runs, or nil for the whole input.
    public let task: IngestTask?

    public init(manifest: Manifest, options: Options, task: IngestTask? = nil) {
        self.manifest = manifest
        self.options = options
        self.task = task
    }

    public var tokensDirectory: URL { URL(fileURLWithPath: manifest.output).appendingPathComponent("tokens") }

    /// Runs the ingest of every source; returns a summary per source. Without a task, when the
    /// output holds the tasks of a partitioned ingest, their merge takes the place of reading.
    public func run(catalog: Catalog, tokenizer: Tokenizer, progress: ProgressLine) throws -> [SourceSummary] {
        try FaultPoint.checkSetting()
        let taskFiles = IngestTaskFiles(outputDirectory: manifest.output)
        if task == nil && options.restart {
            try? FileManager.default.removeItem(atPath: taskFiles.directory)
        } else if task == nil && taskFiles.present {
            try IngestMerge(outputDirectory: manifest.output).mergeIfNeeded(
                into: catalog, expecting: self, tokenizer: tokenizer, quiet: options.quiet)
        }
        var summaries: [SourceSummary] = []
        let inputs = manifest.sources.enumerated().map { i, source in
            let (files, missing) = InputFiles.list(source)
            return (files, missing, task?.units(ofSource: i, files: files) ?? IngestUnit.whole(files))
        }
        // Totals over every source first, so the ETA covers the whole job.
        for (_, _, units) in inputs {
            progress.filesTotal += units.count
            progress.bytesTotal += units.reduce(0) { $0 + $1.bytes }
        }
        var before = Catalog.Totals()
        for (source, input) in zip(manifest.sources, inputs) {
            let summary = try ingest(
                source, files: input.0, missing: input.1, units: input.2, catalog: catalog,
                tokenizer: tokenizer, progress: progress, taskTotalsBefore: before)
            before.add(summary.totals)
            summaries.append(summary)
        }
        if task == nil {
            try writeTopLevelIndex()
            try FaultPoint.tokenTopIndexWritten.reached()
        }
        return summaries
    }

    /// Where a source's shards go: `tokens/<source>/`, or the task's folder inside it.
    func shardDirectory(_ source: SourceSpec) -> URL {
        let dir = tokensDirectory.appendingPathComponent(source.name)
        return task.map { dir.appendingPathComponent($0.name) } ?? dir
    }

    func writeTopLevelIndex() throws {
        try Self.writeTopLevelIndex(tokensDirectory: tokensDirectory, sources: manifest.sources.map(\.name))
    }

    /// A top-level `tokens/index.json` listing every source's shards (basenames prefixed with the
    /// source folder), so mosaicml-streaming can open all sources as one dataset.
    static func writeTopLevelIndex(tokensDirectory: URL, sources: [String]) throws {
        var all: [MDSShardEntry] = []
        for name in sources {
            let dir = tokensDirectory.appendingPathComponent(name)
            for var e in try MDSIndex.read(from: dir).shards {
                e.rawBasename = name + "/" + e.rawBasename
                e.zipBasename = e.zipBasename.map { name + "/" + $0 }
                all.append(e)
            }
        }
        try MDSIndex(shards: all).write(to: tokensDirectory)
    }

    /// What a partitioned ingest's tasks must agree on: the partition (files, sizes, frame starts,
    /// cuts) and every source's signature (settings, tokenizer, files with their mtimes). A task
    /// made from other input never counts as done, and `merge` refuses tasks that differ.
    func inputDigest(partition: IngestPartition, tokenizer: Tokenizer) -> String {
        var parts = [partition.digest]
        for source in manifest.sources {
            let (files, missing) = InputFiles.list(source)
            parts.append(signature(source, files: files, missing: missing, tokenizer: tokenizer))
        }
        return XXH64.hex(XXH64.hash(Array(parts.joined(separator: "\n").utf8)))
    }

    /// What must be equal for earlier work on a source to be reused or resumed.
    func signature(_ source: SourceSpec, files: [InputFile], missing: [String], tokenizer: Tokenizer) -> String {
        let extensions = source.extensions.keys.sorted().map { "\($0)=\(source.extensions[$0] ?? "")" }
        var parts: [String] = [
            source.format.rawValue, source.textField, source.keep.joined(separator: ","),
            source.idField ?? "", extensions.joined(separator: ","),
            String(manifest.shardSizeBytes), String(manifest.compressionLevel),
            String(manifest.maxDocumentBytes),
            manifest.onError.rawValue, tokenizer.modelHash,
        ]
        parts += files.map { "\($0.path)|\($0.relativePath)|\($0.size)|\($0.mtime)" }
        parts += missing
        return XXH64.hex(XXH64.hash(Array(parts.joined(separator: "\n").utf8)))
    }

    /// One source: reused when it is done, else resumed after its last committed shard or started
    /// from nothing, and run through `IngestSteps`.
    func ingest(
        _ source: SourceSpec, files: [InputFile], missing: [String], units: [IngestUnit], catalog: Catalog,
        tokenizer: Tokenizer, progress: ProgressLine, taskTotalsBefore: Catalog.Totals = Catalog.Totals()
    ) throws -> SourceSummary {
        if manifest.onError == .fail, let first = missing.first {
            throw MoeDataError("source '\(source.name)': \(first)")
        }
        let sig = signature(source, files: files, missing: missing, tokenizer: tokenizer)
        let dir = shardDirectory(source)
        if let done = try doneSource(source, signature: sig, directory: dir, catalog: catalog) {
            progress.filesDone += units.count
            progress.bytesRead += units.reduce(0) { $0 + $1.bytes }
            return done
        }
        let state = try startedSource(
            source, files: files, units: units, signature: sig, directory: dir, catalog: catalog,
            tokenizer: tokenizer)
        let start = state.cursor ?? Catalog.Cursor.start
        if let cursor = state.cursor {
            try recordResume(source.name, cursor: cursor, shards: state.shards.count, catalog: catalog)
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let writer = try MDSWriter(
            directory: dir, columns: TokenShard.columns,
            compressionLevel: manifest.compressionLevel, sizeLimit: manifest.shardSizeBytes,
            existing: state.shards)
        writer.beforeRename = { try FaultPoint.tokenShardTemporary.reached() }
        var write = TokenWriteStep(
            source: source, files: files, catalog: catalog, writer: writer,
            policy: manifest.onError, cursor: start)
        if task != nil { write.taskTotalsBefore = taskTotalsBefore }
        // Entries of `paths` that match nothing belong to no piece: task 0 counts them.
        if state.cursor == nil && (task?.index ?? 0) == 0 { write.recordMissing(missing) }
        progress.setLabel(source.name)
        let unitsBefore = units.filter { $0.fileIndex < start.position.fileIndex }
        progress.filesDone += unitsBefore.count
        progress.bytesRead += unitsBefore.reduce(0) { $0 + $1.bytes }

        var steps = IngestSteps(
            read: RecordReadStep(
                source: source, policy: manifest.onError, maxDocumentBytes: manifest.maxDocumentBytes,
                batchBytes: options.batchBytes),
            tokenize: TokenizeStep(tokenizer: tokenizer, jobs: options.jobs), write: write, progress: progress)
        try steps.run(units, from: start.position)
        let shards = steps.write.writer.entries
        try MDSIndex(shards: shards).write(to: dir)
        try FaultPoint.tokenIndexWritten.reached()
        try catalog.finishSource(source.name, totals: steps.write.totals, shards: shards.count)
        try FaultPoint.tokenSourceDone.reached()
        return SourceSummary(name: source.name, reused: false, totals: steps.write.totals, shards: shards.count)
    }

    /// The summary of a source already ingested with this signature. "Up to date" also needs the
    /// recorded shards on disk (names and sizes): a source whose files were deleted or damaged is
    /// ingested again.
    func doneSource(
        _ source: SourceSpec, signature: String, directory: URL,
        catalog: Catalog
    ) throws -> SourceSummary? {
        guard let s = try catalog.sourceState(source.name), s.signature == signature, s.status == "done",
            !options.restart, PackedPublisher.holdsShards(directory, s.shards, hashing: false),
            FileManager.default.fileExists(atPath: directory.appendingPathComponent("index.json").path)
        else { return nil }
        return SourceSummary(
            name: source.name, reused: true, totals: s.cursor?.totals ?? Catalog.Totals(),
            shards: s.shards.count)
    }

    /// The catalog state to go on from: the state of a killed run with this signature, or a fresh
    /// start (the source's earlier tokens and records forgotten).
    func startedSource(
        _ source: SourceSpec, files: [InputFile], units: [IngestUnit], signature: String, directory: URL,
        catalog: Catalog, tokenizer: Tokenizer
    ) throws -> Catalog.SourceState {
        var state = try catalog.sourceState(source.name)
        if state == nil || state?.signature != signature || options.restart || state?.status == "done" {
            try? FileManager.default.removeItem(at: directory)
            try catalog.startSource(
                source, files: files, tokenizerHash: tokenizer.modelHash, signature: signature,
                fileIndices: task == nil ? nil : Set(units.map(\.fileIndex)))
            state = try catalog.sourceState(source.name)
        }
        guard let state else { throw MoeDataError("internal error: no catalog state for source '\(source.name)'") }
        return state
    }

    /// Says that this run continues a killed one (stderr unless quiet, and the catalog key
    /// `ingest.resumed.<source>`), so a resume can be told from a restart after the fact.
    func recordResume(_ name: String, cursor: Catalog.Cursor, shards: Int, catalog: Catalog) throws {
        let p = cursor.position
        let detail: JSONValue = .object([
            "documents": .int(Int64(cursor.totals.documents)), "file_index": .int(Int64(p.fileIndex)),
            "record": .int(Int64(p.record)), "shards": .int(Int64(shards)),
        ])
        try catalog.setValue("ingest.resumed.\(name)", detail.encoded())
        if !options.quiet {
            let line =
                "resuming \(name) after \(cursor.totals.documents) documents (\(shards) shards committed; "
                + "file \(p.fileIndex + 1) of the source, record \(p.record))\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}
