import Foundation
import FileSupport
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
        var parts: [String] = [source.format.rawValue, source.textField, source.keep.joined(separator: ","), source.idField ?? "",
                               source.extensions.keys.sorted().map { "\($0)=\(source.extensions[$0] ?? "")" }.joined(separator: ","),
                               String(manifest.shardSizeBytes), String(manifest.compressionLevel), String(manifest.maxDocumentBytes),
                               manifest.onError.rawValue, tokenizer.modelHash]
        parts += files.map { "\($0.path)|\($0.relativePath)|\($0.size)|\($0.mtime)" }
        parts += missing
        return XXH64.hex(XXH64.hash(Array(parts.joined(separator: "\n").utf8)))
    }

    func ingest(_ source: SourceSpec, catalog: Catalog, tokenizer: Tokenizer, progress: ProgressLine) throws -> SourceSummary {
        let (files, missing) = InputFiles.list(source)
        if manifest.onError == .fail, let first = missing.first {
            throw MoeDataError("source '\(source.name)': \(first)")
        }
        let sig = signature(source, files: files, missing: missing, tokenizer: tokenizer)
        let dir = tokensDirectory.appendingPathComponent(source.name)
        var state = try catalog.sourceState(source.name)
        // "Up to date" also needs the recorded shards on disk (names and sizes): a source whose
        // files were deleted or damaged is ingested again.
        if let s = state, s.signature == sig, s.status == "done", !options.restart,
           PackedPublisher.holdsShards(dir, s.shards, hashing: false),
           FileManager.default.fileExists(atPath: dir.appendingPathComponent("index.json").path) {
            progress.filesDone += files.count
            progress.bytesRead += files.reduce(0) { $0 + $1.size }
            return SourceSummary(name: source.name, reused: true, totals: s.cursor?.totals ?? Catalog.Totals(),
                                 shards: s.shards.count)
        }
        if state == nil || state?.signature != sig || options.restart || state?.status == "done" {
            try? FileManager.default.removeItem(at: dir)
            try catalog.startSource(source, files: files, tokenizerHash: tokenizer.modelHash, signature: sig)
            state = try catalog.sourceState(source.name)
        }
        guard let state else { throw MoeDataError("internal error: no catalog state for source '\(source.name)'") }
        let start = state.cursor ?? Catalog.Cursor.start
        if let cursor = state.cursor {
            try recordResume(source.name, cursor: cursor, shards: state.shards.count, catalog: catalog)
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let writer = try MDSWriter(directory: dir, columns: TokenShard.columns, compressionLevel: manifest.compressionLevel,
                                   sizeLimit: manifest.shardSizeBytes, existing: state.shards)
        writer.beforeRename = { try FaultPoint.tokenShardTemporary.reached() }
        var run = SourceRun(source: source, files: files, catalog: catalog, writer: writer, policy: manifest.onError,
                            cursor: start)
        if state.cursor == nil {
            // File-level problems found before reading (missing entries) are recorded up front.
            run.pendingSkips = missing.map {
                SkipRecord(kind: .file, file: $0.components(separatedBy: ": ").first ?? $0, line: nil, offset: nil,
                           reason: $0.components(separatedBy: ": ").dropFirst().joined(separator: ": "),
                           position: RecordPosition(fileIndex: -1, record: 0))
            }
            run.totals.fileErrors += missing.count
        }
        progress.setLabel(source.name)
        progress.filesDone += start.position.fileIndex
        progress.bytesRead += files.prefix(start.position.fileIndex).reduce(0) { $0 + $1.size }

        for fileIndex in start.position.fileIndex..<files.count {
            let file = files[fileIndex]
            let resumeRecord = fileIndex == start.position.fileIndex ? start.position.record : 0
            let hash = try contentHash(file.path)
            var fileError: SkipRecord?
            var batch: [RecordEvent] = []
            var batchBytes = 0
            var sawRecord = resumeRecord > 0
            let bytesBefore = progress.bytesRead
            // Only faults of the reader itself (truncated or corrupt compression, I/O errors) become
            // file-level skips: what was read before the fault is kept, the fault is recorded once.
            func fault(_ error: any Error) -> SkipRecord {
                let text = "\(error)"
                let reason = text.hasPrefix(file.path + ": ") ? String(text.dropFirst(file.path.count + 2)) : text
                return SkipRecord(kind: .file, file: file.path, line: nil, offset: nil, reason: reason,
                                  position: RecordPosition(fileIndex: fileIndex, record: Int.max))
            }
            var reader: (any RecordReader)?
            do {
                reader = try makeRecordReader(file: file, fileIndex: fileIndex, source: source, maxDocumentBytes: manifest.maxDocumentBytes)
            } catch {
                fileError = fault(error)
            }
            while var r = reader {
                let next: RecordEvent?
                do { next = try r.next() } catch { fileError = fault(error); break }
                reader = r
                guard let event = next else { break }
                if case .document(let d) = event, d.position.record < resumeRecord { continue }
                if case .skip(let s) = event, s.position.record < resumeRecord { continue }
                sawRecord = true
                if case .skip(let s) = event, manifest.onError == .fail {
                    throw MoeDataError("\(s.location): \(s.reason) (source '\(source.name)'; set on_error: skip to count such records and go on)")
                }
                if case .document(let d) = event { batchBytes += d.text.count }
                batch.append(event)
                if batchBytes >= options.batchBytes || batch.count >= 8192 {
                    try run.write(batch, tokenizer: tokenizer, jobs: options.jobs, progress: progress)
                    batch.removeAll(keepingCapacity: true)
                    batchBytes = 0
                    progress.bytesRead = bytesBefore + min(file.size, r.bytesRead)
                    progress.update()
                }
            }
            if !sawRecord && fileError == nil {
                fileError = SkipRecord(kind: .file, file: file.path, line: nil, offset: 0,
                                       reason: file.size == 0 ? "empty file" : "no records in file",
                                       position: RecordPosition(fileIndex: fileIndex, record: 0))
            }
            if manifest.onError == .fail, let fileError {
                throw MoeDataError("\(fileError.location): \(fileError.reason) (source '\(source.name)'; set on_error: skip to record such files and go on)")
            }
            try run.write(batch, tokenizer: tokenizer, jobs: options.jobs, progress: progress)
            run.finishFile(fileIndex, file: file, hash: hash, error: fileError)
            progress.filesDone += 1
            progress.bytesRead = bytesBefore + file.size
            progress.update()
        }
        try run.finish()
        try MDSIndex(shards: run.writer.entries).write(to: dir)
        try FaultPoint.tokenIndexWritten.reached()
        try catalog.finishSource(source.name, totals: run.totals, shards: run.writer.entries.count)
        try FaultPoint.tokenSourceDone.reached()
        return SourceSummary(name: source.name, reused: false, totals: run.totals, shards: run.writer.entries.count)
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
            let line = "resuming \(name) after \(cursor.totals.documents) documents (\(shards) shards committed; "
                + "file \(p.fileIndex + 1) of the source, record \(p.record))\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// xxh64 of a file's bytes, read in 4 MiB chunks.
    func contentHash(_ path: String) throws -> String {
        var src = try FileByteSource(path: path)
        var h = XXH64()
        var buf = [UInt8](repeating: 0, count: 4 << 20)
        while true {
            let n = try buf.withUnsafeMutableBytes { try src.read(into: $0) }
            if n == 0 { break }
            buf.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return XXH64.hex(h.digest())
    }
}

/// The columns of token shards (see the README's format section).
public enum TokenShard {
    public static let columns = [
        MDSColumn("doc_id", .str), MDSColumn("meta", .json), MDSColumn("source", .str), MDSColumn("tokens", .ndarray(.uint32, count: nil)),
    ]
}

/// The write side of one source's ingest: counts, writes, and commits at shard boundaries.
struct SourceRun {
    let source: SourceSpec
    let files: [InputFile]
    let catalog: Catalog
    let writer: MDSWriter
    let policy: ErrorPolicy
    var totals: Catalog.Totals
    var fileCounters: Catalog.FileCounters
    var pendingSkips: [SkipRecord] = []
    var completedFiles: [Catalog.CompletedFile] = []
    var shardDocuments = 0
    var shardTokens = 0
    /// `id_field` values of documents not yet committed.
    var shardIds: Set<String> = []

    init(source: SourceSpec, files: [InputFile], catalog: Catalog, writer: MDSWriter, policy: ErrorPolicy, cursor: Catalog.Cursor) {
        self.source = source
        self.files = files
        self.catalog = catalog
        self.writer = writer
        self.policy = policy
        totals = cursor.totals
        fileCounters = cursor.file
    }

    mutating func write(_ batch: [RecordEvent], tokenizer: Tokenizer, jobs: Int, progress: ProgressLine) throws {
        guard !batch.isEmpty else { return }
        var texts: [[UInt8]] = []
        for case .document(let d) in batch { texts.append(d.text) }
        let encoded = try tokenizer.encodeBatch(utf8: texts, jobs: jobs)
        var k = 0
        for event in batch {
            switch event {
            case .skip(let s):
                countSkip(s)
            case .document(let d):
                let ids = encoded[k]
                k += 1
                if ids.isEmpty {
                    let s = SkipRecord(kind: .record, file: files[d.position.fileIndex].path, line: d.position.record > 0 ? d.position.record : nil,
                                       offset: nil, reason: "empty document (no tokens)", position: d.position)
                    if policy == .fail { throw MoeDataError("\(s.location): \(s.reason) (source '\(source.name)')") }
                    countSkip(s)
                    continue
                }
                if source.idField != nil {
                    // Ids come from the user's field: a repeated one would make provenance ambiguous.
                    // Committed ids are in the catalog (on disk), so memory stays bounded by one shard.
                    if try shardIds.contains(d.docId) || catalog.hasDocumentId(source: source.name, d.docId) {
                        let reason = "repeated \(source.idField ?? "id") value '\(d.docId.prefix(200))'"
                        let s = SkipRecord(kind: .record, file: files[d.position.fileIndex].path, line: d.position.record,
                                           offset: nil, reason: reason,
                                           position: d.position)
                        if policy == .fail {
                            throw MoeDataError(
                                "\(s.location): \(s.reason) (source '\(source.name)'; ids must be unique within a source)")
                        }
                        countSkip(s)
                        continue
                    }
                }
                let values: [MDSValue] = [.string(d.docId), .json(d.meta), .string(source.name), .uint32s(ids)]
                if let shard = try writer.write(values) {
                    try commit(shard, cursor: d.position)
                }
                // After the commit of the shard before it: this document belongs to the next one.
                if source.idField != nil { shardIds.insert(d.docId) }
                shardDocuments += 1
                shardTokens += ids.count
                totals.documents += 1
                totals.tokens += ids.count
                fileCounters.documents += 1
                fileCounters.tokens += ids.count
                fileCounters.bytes += d.text.count
                progress.documents += 1
                progress.tokens += ids.count
            }
        }
    }

    mutating func countSkip(_ s: SkipRecord) {
        pendingSkips.append(s)
        totals.skipped += 1
        fileCounters.skipped += 1
    }

    /// The open file's counters for a cursor inside the files; none once every file is done.
    func fileCountersAt(_ cursor: RecordPosition) -> Catalog.FileCounters {
        cursor.fileIndex < files.count ? fileCounters : Catalog.FileCounters()
    }

    /// Commits a flushed shard with everything before `cursor` (the first record not in it).
    mutating func commit(_ shard: MDSShardEntry, cursor: RecordPosition) throws {
        try FaultPoint.tokenShardWritten.reached()
        totals.bytesOut += shard.zipBytes ?? shard.rawBytes
        try catalog.commit(source: source.name,
                           shard: Catalog.ShardRecord(entry: shard, documents: shardDocuments, tokens: shardTokens),
                           skips: pendingSkips, completedFiles: completedFiles,
                           cursor: Catalog.Cursor(position: cursor, totals: totals, file: fileCountersAt(cursor)),
                           documentIds: shardIds)
        shardIds.removeAll()
        pendingSkips.removeAll()
        completedFiles.removeAll()
        shardDocuments = 0
        shardTokens = 0
        try FaultPoint.tokenShardCommitted.reached()
    }

    mutating func finishFile(_ index: Int, file: InputFile, hash: String, error: SkipRecord?) {
        if let error {
            pendingSkips.append(error)
            totals.fileErrors += 1
        }
        totals.bytesIn += file.size
        completedFiles.append(Catalog.CompletedFile(index: index, contentHash: hash, status: error == nil ? "done" : "error",
                                                    counters: fileCounters))
        fileCounters = Catalog.FileCounters()
    }

    mutating func finish() throws {
        let end = RecordPosition(fileIndex: files.count, record: 0)
        if let shard = try writer.flush() {
            try commit(shard, cursor: end)
        } else {
            try catalog.commit(source: source.name, shard: nil, skips: pendingSkips, completedFiles: completedFiles,
                               cursor: Catalog.Cursor(position: end, totals: totals, file: Catalog.FileCounters()))
            pendingSkips.removeAll()
            completedFiles.removeAll()
        }
    }
}
