import Foundation
import JSON
import MDS

/// The ingest's write step for one source: writes documents to MDS token shards, counts them,
/// and at each shard boundary commits the shard to the catalog with the skips and finished files
/// before it and the cursor after it.
struct TokenWriteStep {
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
    /// Tokens of each document not yet committed, for the catalog (`Catalog.documentLengths`).
    var shardLengths: [UInt32] = []
    /// `id_field` values of documents not yet committed.
    var shardIds: Set<String> = []
    /// In a task of a partitioned ingest, the totals of the task's sources before this one: each
    /// commit then records the task's progress (`task.progress`) for `moe-data status`.
    var taskTotalsBefore: Catalog.Totals?
    /// Input bytes the task has read, as the progress line counts them.
    var bytesRead = 0

    init(
        source: SourceSpec, files: [InputFile], catalog: Catalog, writer: MDSWriter, policy: ErrorPolicy,
        cursor: Catalog.Cursor
    ) {
        self.source = source
        self.files = files
        self.catalog = catalog
        self.writer = writer
        self.policy = policy
        totals = cursor.totals
        fileCounters = cursor.file
    }

    /// Records the problems found before reading (entries of `paths` that match nothing).
    mutating func recordMissing(_ missing: [String]) {
        pendingSkips = missing.map {
            SkipRecord(
                kind: .file, file: $0.components(separatedBy: ": ").first ?? $0, line: nil, offset: nil,
                reason: $0.components(separatedBy: ": ").dropFirst().joined(separator: ": "),
                position: RecordPosition(fileIndex: -1, record: 0))
        }
        totals.fileErrors += missing.count
    }

    /// Writes a batch; `encoded` holds the ids of its documents, in order.
    mutating func write(_ batch: [RecordEvent], encoded: [[UInt32]], progress: ProgressLine) throws {
        bytesRead = progress.bytesRead
        var k = 0
        for event in batch {
            switch event {
            case .skip(let s):
                countSkip(s)
            case .document(let d):
                let ids = encoded[k]
                k += 1
                if let refused = try refusal(of: d, ids: ids) {
                    countSkip(refused)
                    continue
                }
                let values: [MDSValue] = [.string(d.docId), .json(d.meta), .string(source.name), .uint32s(ids)]
                if let shard = try writer.write(values) {
                    try commit(shard, cursor: d.position)
                }
                // After the commit of the shard before it: this document belongs to the next one.
                if source.idField != nil { shardIds.insert(d.docId) }
                shardDocuments += 1
                shardTokens += ids.count
                shardLengths.append(UInt32(ids.count))
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

    /// Why a tokenized document is not written (no tokens, or a repeated id), or nil; throws the
    /// reason instead under `on_error: fail`.
    func refusal(of d: Document, ids: [UInt32]) throws -> SkipRecord? {
        let file = files[d.position.fileIndex].path
        if ids.isEmpty {
            let s = SkipRecord(
                kind: .record, file: file, line: d.position.record > 0 ? d.position.record : nil,
                offset: nil, reason: "empty document (no tokens)", position: d.position)
            if policy == .fail { throw MoeDataError("\(s.location): \(s.reason) (source '\(source.name)')") }
            return s
        }
        // Ids come from the user's field: a repeated one would make provenance ambiguous.
        // Committed ids are in the catalog (on disk), so memory stays bounded by one shard.
        guard let idField = source.idField,
            try shardIds.contains(d.docId) || catalog.hasDocumentId(source: source.name, d.docId)
        else { return nil }
        let s = SkipRecord(
            kind: .record, file: file, line: d.position.record, offset: nil,
            reason: "repeated \(idField) value '\(d.docId.prefix(200))'", position: d.position)
        if policy == .fail {
            throw MoeDataError(
                "\(s.location): \(s.reason) (source '\(source.name)'; ids must be unique within a source)")
        }
        return s
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
        try catalog.commit(
            source: source.name,
            shard: Catalog.ShardRecord(
                entry: shard, documents: shardDocuments, tokens: shardTokens, documentLengths: shardLengths),
            skips: pendingSkips, completedFiles: completedFiles,
            cursor: Catalog.Cursor(position: cursor, totals: totals, file: fileCountersAt(cursor)),
            documentIds: shardIds)
        shardIds.removeAll()
        pendingSkips.removeAll()
        completedFiles.removeAll()
        shardDocuments = 0
        shardTokens = 0
        shardLengths.removeAll(keepingCapacity: true)
        try recordTaskProgress()
        try FaultPoint.tokenShardCommitted.reached()
    }

    /// The task's committed counts so far, for `moe-data status` (a task only).
    func recordTaskProgress() throws {
        guard let before = taskTotalsBefore else { return }
        let progress: JSONValue = .object([
            "documents": .int(Int64(before.documents + totals.documents)),
            "tokens": .int(Int64(before.tokens + totals.tokens)),
            "skipped": .int(Int64(before.skipped + totals.skipped)),
            "bytes": .int(Int64(max(bytesRead, before.bytesIn + totals.bytesIn))),
        ])
        try catalog.setValue(IngestTaskKeys.progress, progress.encoded())
    }

    /// Ends a unit (a file, or a task's piece of one): its counters and status go with the next commit.
    mutating func finishFile(_ unit: IngestUnit, hash: String, error: SkipRecord?) {
        if let error {
            pendingSkips.append(error)
            totals.fileErrors += 1
        }
        totals.bytesIn += unit.bytes
        completedFiles.append(
            Catalog.CompletedFile(
                index: unit.fileIndex, contentHash: hash,
                status: error == nil ? "done" : "error",
                counters: fileCounters))
        fileCounters = Catalog.FileCounters()
    }

    mutating func finish() throws {
        let end = RecordPosition(fileIndex: files.count, record: 0)
        if let shard = try writer.flush() {
            try commit(shard, cursor: end)
        } else {
            try catalog.commit(
                source: source.name, shard: nil, skips: pendingSkips, completedFiles: completedFiles,
                cursor: Catalog.Cursor(position: end, totals: totals, file: Catalog.FileCounters()))
            pendingSkips.removeAll()
            completedFiles.removeAll()
            try recordTaskProgress()
        }
    }
}
