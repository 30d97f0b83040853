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

    public init(manifest: Manifest, options: Options) {
        self.manifest = manifest
        self.options = options
    }

    public var tokensDirectory: URL { URL(fileURLWithPath: manifest.output).appendingPathComponent("tokens") }

    /// Runs the ingest of every source; returns a summary per source.
    public func run(catalog: Catalog, tokenizer: Tokenizer, progress: ProgressLine) throws -> [SourceSummary] {
        try FaultPoint.checkSetting()
        var summaries: [SourceSummary] = []
        // Totals over every source first, so the ETA covers the whole job.
        for source in manifest.sources {
            let files = InputFiles.list(source).files
            progress.filesTotal += files.count
            progress.bytesTotal += files.reduce(0) { $0 + $1.size }
        }
        for source in manifest.sources {
            summaries.append(try ingest(source, catalog: catalog, tokenizer: tokenizer, progress: progress))
        }
        try writeTopLevelIndex()
        try FaultPoint.tokenTopIndexWritten.reached()
        return summaries
    }

    /// A top-level `tokens/index.json` listing every source's shards (basenames prefixed with the
    /// source folder), so mosaicml-streaming can open all sources as one dataset.
    func writeTopLevelIndex() throws {
        var all: [MDSShardEntry] = []
        for source in manifest.sources {
            let dir = tokensDirectory.appendingPathComponent(source.name)
            for var e in try MDSIndex.read(from: dir).shards {
                e.rawBasename = source.name + "/" + e.rawBasename
                e.zipBasename = e.zipBasename.map { source.name + "/" + $0 }
                all.append(e)
            }
        }
        try MDSIndex(shards: all).write(to: tokensDirectory)
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
        _ source: SourceSpec, catalog: Catalog, tokenizer: Tokenizer,
        progress: ProgressLine
    ) throws -> SourceSummary {
        let (files, missing) = InputFiles.list(source)
        if manifest.onError == .fail, let first = missing.first {
            throw MoeDataError("source '\(source.name)': \(first)")
        }
        let sig = signature(source, files: files, missing: missing, tokenizer: tokenizer)
        let dir = tokensDirectory.appendingPathComponent(source.name)
        if let done = try doneSource(source, signature: sig, directory: dir, catalog: catalog) {
            progress.filesDone += files.count
            progress.bytesRead += files.reduce(0) { $0 + $1.size }
            return done
        }
        let state = try startedSource(
            source, files: files, signature: sig, directory: dir, catalog: catalog,
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
        if state.cursor == nil { write.recordMissing(missing) }
        progress.setLabel(source.name)
        progress.filesDone += start.position.fileIndex
        progress.bytesRead += files.prefix(start.position.fileIndex).reduce(0) { $0 + $1.size }

        var steps = IngestSteps(
            read: RecordReadStep(
                source: source, policy: manifest.onError, maxDocumentBytes: manifest.maxDocumentBytes,
                batchBytes: options.batchBytes),
            tokenize: TokenizeStep(tokenizer: tokenizer, jobs: options.jobs), write: write, progress: progress)
        try steps.run(files: files, from: start.position)
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
        _ source: SourceSpec, files: [InputFile], signature: String, directory: URL, catalog: Catalog,
        tokenizer: Tokenizer
    ) throws -> Catalog.SourceState {
        var state = try catalog.sourceState(source.name)
        if state == nil || state?.signature != signature || options.restart || state?.status == "done" {
            try? FileManager.default.removeItem(at: directory)
            try catalog.startSource(source, files: files, tokenizerHash: tokenizer.modelHash, signature: signature)
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
