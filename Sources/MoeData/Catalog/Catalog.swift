import Foundation
import JSON
import MDS

/// The output folder's SQLite catalog: what was read (sources, input files with size, mtime
/// and content hash), what was written (shards with sizes and hashes), every skipped record
/// with its file, line or offset and reason, the runs that did it, and the ingest cursors that
/// make a killed run resumable. Every update that belongs together is one transaction.
public final class Catalog {
    public static let fileName = "catalog.sqlite"
    let db: SQLiteDatabase
    public let path: String

    public convenience init(outputDirectory: String) throws {
        try OutputFolder.create(outputDirectory)
        try self.init(path: (outputDirectory as NSString).appendingPathComponent(Catalog.fileName))
    }

    /// Opens (or creates) a catalog file at `path`: the output folder's, or one task's catalog of a
    /// partitioned ingest (`tasks/task-NNNNN.sqlite`), which has the same tables and keeps a rollback
    /// journal (`rollbackJournal`), since other hosts read it (`moe-data status`) while it is written.
    /// `readOnly` opens an existing catalog without writing it (a build slice reads the output's
    /// catalog while other slices read it too).
    public init(path: String, rollbackJournal: Bool = false, readOnly: Bool = false) throws {
        self.path = path
        let outputDirectory = (path as NSString).deletingLastPathComponent
        do {
            db = try SQLiteDatabase(path: path, readOnly: readOnly, rollbackJournal: rollbackJournal)
            if !readOnly { try createSchema() }
            let check = try db.query("PRAGMA quick_check").compactMap { $0.first??.text }
            if check != ["ok"] {
                throw MoeDataError("\(path): integrity check failed: \(check.prefix(3).joined(separator: "; "))")
            }
        } catch {
            // SQLite says "database disk image is malformed" or "file is not a database"; say
            // what it means and the way out (a restart cannot help: it needs the catalog).
            let text = "\(error)"
            guard ["malformed", "not a database", "integrity check failed", "corrupt"].contains(where: text.contains)
            else { throw error }
            throw MoeDataError(
                """
                \(path): the catalog is damaged (\(text.replacingOccurrences(of: path + ": ", with: ""))); run \
                `moe-data verify \(outputDirectory) --repair` to move it aside, then run the same ingest or build \
                again to regenerate the output from the sources
                """)
        }
    }

    /// Opens an existing catalog for reading (stats, inspect); errors if there is none.
    public static func openExisting(outputDirectory: String) throws -> Catalog {
        let p = (outputDirectory as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: p) else {
            throw MoeDataError(
                "\(outputDirectory): no \(fileName) here; run `moe-data ingest` or `moe-data build` first")
        }
        return try Catalog(outputDirectory: outputDirectory)
    }

    func createSchema() throws {
        try db.execute(
            """
            CREATE TABLE IF NOT EXISTS runs(
                id INTEGER PRIMARY KEY, command TEXT NOT NULL, arguments TEXT NOT NULL, version TEXT NOT NULL,
                libraries TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS sources(
                name TEXT PRIMARY KEY, format TEXT NOT NULL, domain TEXT NOT NULL, language TEXT, text_field TEXT,
                tokenizer_hash TEXT NOT NULL, signature TEXT NOT NULL, status TEXT NOT NULL,
                files INTEGER NOT NULL DEFAULT 0, documents INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL \
                DEFAULT 0,
                file_errors INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0, bytes_in INTEGER NOT \
                NULL DEFAULT 0,
                bytes_out INTEGER NOT NULL DEFAULT 0, shards INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS files(
                source TEXT NOT NULL, file_index INTEGER NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,
                mtime REAL NOT NULL, content_hash TEXT, status TEXT NOT NULL, documents INTEGER NOT NULL DEFAULT 0,
                skipped INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY(source, file_index));
            CREATE TABLE IF NOT EXISTS shards(
                dataset TEXT NOT NULL, shard_index INTEGER NOT NULL, path TEXT NOT NULL, documents INTEGER NOT NULL,
                tokens INTEGER NOT NULL, raw_bytes INTEGER NOT NULL, zip_bytes INTEGER, raw_xxh64 TEXT NOT NULL,
                zip_xxh64 TEXT, entry_json TEXT NOT NULL, PRIMARY KEY(dataset, shard_index));
            CREATE TABLE IF NOT EXISTS skips(
                id INTEGER PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL, file TEXT NOT NULL, line INTEGER,
                byte_offset INTEGER, reason TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS cursors(
                source TEXT PRIMARY KEY, file_index INTEGER NOT NULL, record INTEGER NOT NULL,
                documents INTEGER NOT NULL, skipped INTEGER NOT NULL, file_errors INTEGER NOT NULL, tokens \
                INTEGER NOT NULL,
                bytes_in INTEGER NOT NULL, bytes_out INTEGER NOT NULL,
                file_documents INTEGER NOT NULL, file_skipped INTEGER NOT NULL, file_tokens INTEGER NOT NULL, \
                file_bytes INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS document_ids(source TEXT NOT NULL, doc_id TEXT NOT NULL, PRIMARY \
            KEY(source, doc_id))
                WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS mixture_realized(
                phase INTEGER NOT NULL, phase_name TEXT NOT NULL, window INTEGER, start_token INTEGER NOT NULL,
                end_token INTEGER NOT NULL, source TEXT NOT NULL, target_tokens INTEGER NOT NULL, realized_tokens \
                INTEGER NOT NULL,
                cumulative_target INTEGER NOT NULL, cumulative_realized INTEGER NOT NULL);
            """)
        try addDocumentLengthsColumn()
    }

    // MARK: runs

    public func beginRun(command: String, arguments: [String]) throws -> Int64 {
        try db.run(
            "INSERT INTO runs(command, arguments, version, libraries, started_at, status) VALUES(?,?,?,?,?,?)",
            [
                .text(command), .text(JSONValue.array(arguments.map { .string($0) }).encoded()),
                .text(MoeDataVersion.version),
                .text(MoeDataVersion.libraries), .text(isoNow()), .text("running"),
            ])
        return db.lastInsertRowID
    }

    public func endRun(_ id: Int64, status: String) throws {
        try db.run("UPDATE runs SET ended_at = ?, status = ? WHERE id = ?", [.text(isoNow()), .text(status), .int(id)])
    }

    // MARK: ingest state

    public struct Totals: Sendable, Equatable {
        public var documents = 0, skipped = 0, fileErrors = 0, tokens = 0, bytesIn = 0, bytesOut = 0

        public mutating func add(_ other: Totals) {
            documents += other.documents
            skipped += other.skipped
            fileErrors += other.fileErrors
            tokens += other.tokens
            bytesIn += other.bytesIn
            bytesOut += other.bytesOut
        }
    }

    public struct FileCounters: Sendable, Equatable {
        public var documents = 0, skipped = 0, tokens = 0, bytes = 0
    }

    /// Where a source's ingest stands after its last committed shard.
    public struct Cursor: Sendable, Equatable {
        public var position: RecordPosition
        public var totals: Totals
        /// Counts of the cursor's file up to the cursor.
        public var file: FileCounters

        /// Where a source with no commit yet starts.
        public static let start = Cursor(
            position: RecordPosition(fileIndex: 0, record: 0), totals: Totals(),
            file: FileCounters())
    }

    public struct SourceState: Sendable {
        public var status: String
        public var tokenizerHash: String
        public var signature: String
        /// nil until the source's first commit: a run killed before it has nothing to resume from.
        public var cursor: Cursor?
        public var shards: [MDSShardEntry]
    }

    public func sourceState(_ name: String) throws -> SourceState? {
        guard
            let row = try db.query(
                "SELECT status, tokenizer_hash, signature FROM sources WHERE name = ?", [.text(name)]
            ).first
        else {
            return nil
        }
        let c = try db.query(
            """
            SELECT file_index, record, documents, skipped, file_errors, tokens, bytes_in, bytes_out,
                   file_documents, file_skipped, file_tokens, file_bytes FROM cursors WHERE source = ?
            """, [.text(name)]
        ).first
        let cursor = c.map { row -> Cursor in
            let v = row.map { $0?.int ?? 0 }
            return Cursor(
                position: RecordPosition(fileIndex: v[0], record: v[1]),
                totals: Totals(
                    documents: v[2], skipped: v[3], fileErrors: v[4], tokens: v[5], bytesIn: v[6],
                    bytesOut: v[7]),
                file: FileCounters(documents: v[8], skipped: v[9], tokens: v[10], bytes: v[11]))
        }
        let shards = try db.query(
            "SELECT entry_json FROM shards WHERE dataset = ? ORDER BY shard_index", [.text("tokens/" + name)]
        ).map {
            try MDSShardEntry(json: try JSONValue.parse(Data(($0[0]?.text ?? "").utf8)))
        }
        return SourceState(
            status: row[0]?.text ?? "", tokenizerHash: row[1]?.text ?? "", signature: row[2]?.text ?? "",
            cursor: cursor, shards: shards)
    }

    /// Starts (or restarts from nothing) the ingest of a source: forgets what an earlier,
    /// different ingest of it wrote and records its files. It writes no cursor: the first one comes
    /// with the first commit, so a cursor in the catalog always means committed work.
    /// A task of a partitioned ingest records only the files it has pieces of (`fileIndices`).
    public func startSource(
        _ spec: SourceSpec, files: [InputFile], tokenizerHash: String, signature: String,
        fileIndices: Set<Int>? = nil
    ) throws {
        try db.transaction {
            for table in ["files", "skips", "cursors", "document_ids"] {
                try db.run("DELETE FROM \(table) WHERE source = ?", [.text(spec.name)])
            }
            try db.run("DELETE FROM shards WHERE dataset = ?", [.text("tokens/" + spec.name)])
            try db.run("DELETE FROM sources WHERE name = ?", [.text(spec.name)])
            try db.run("DELETE FROM kv WHERE key = ?", [.text("ingest.resumed." + spec.name)])
            try db.run(
                """
                INSERT INTO sources(name, format, domain, language, text_field, tokenizer_hash, signature, \
                status, files)
                VALUES(?,?,?,?,?,?,?,?,?)
                """,
                [
                    .text(spec.name), .text(spec.format.rawValue), .text(spec.domain), spec.language.map { .text($0) },
                    .text(spec.textField), .text(tokenizerHash), .text(signature), .text("in_progress"),
                    .int(Int64(files.count)),
                ])
            let ins = try db.prepare(
                "INSERT INTO files(source, file_index, path, size, mtime, status) VALUES(?,?,?,?,?,?)")
            for (i, f) in files.enumerated() where fileIndices?.contains(i) ?? true {
                try ins.bind([
                    .text(spec.name), .int(Int64(i)), .text(f.path), .int(Int64(f.size)), .double(f.mtime),
                    .text("pending"),
                ])
                while try ins.step() {}
            }
        }
    }

    func writeCursor(_ source: String, _ c: Cursor) throws {
        try db.run(
            """
            INSERT OR REPLACE INTO cursors(source, file_index, record, documents, skipped, file_errors, tokens, \
            bytes_in, bytes_out,
                file_documents, file_skipped, file_tokens, file_bytes) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)
            """,
            [
                .text(source), .int(Int64(c.position.fileIndex)), .int(Int64(c.position.record)),
                .int(Int64(c.totals.documents)),
                .int(Int64(c.totals.skipped)), .int(Int64(c.totals.fileErrors)), .int(Int64(c.totals.tokens)),
                .int(Int64(c.totals.bytesIn)), .int(Int64(c.totals.bytesOut)), .int(Int64(c.file.documents)),
                .int(Int64(c.file.skipped)), .int(Int64(c.file.tokens)), .int(Int64(c.file.bytes)),
            ])
    }

    public struct CompletedFile: Sendable {
        public var index: Int
        public var contentHash: String?
        public var status: String
        public var counters: FileCounters
    }

    public struct ShardRecord: Sendable {
        public var entry: MDSShardEntry
        public var documents: Int
        public var tokens: Int
        /// Tokens of each document, in order (token shards; `shards.document_lengths`).
        public var documentLengths: [UInt32]? = nil
    }

    /// Commits, in one transaction, a shard just written, the skips and finished files before the
    /// new cursor, and the cursor itself. A crash before this leaves the previous cursor, and the
    /// rerun rewrites the same shard under the same name, byte for byte.
    public func commit(
        source: String, shard: ShardRecord?, skips: [SkipRecord], completedFiles: [CompletedFile],
        cursor: Cursor, documentIds: Set<String> = []
    ) throws {
        try db.transaction {
            if let shard {
                try recordShard(dataset: "tokens/" + source, shard)
                try FaultPoint.tokenShardRecording.reached()
            }
            let id = try db.prepare("INSERT OR IGNORE INTO document_ids(source, doc_id) VALUES(?,?)")
            for d in documentIds.sorted() {
                try id.bind([.text(source), .text(d)])
                while try id.step() {}
            }
            let ins = try db.prepare(
                "INSERT INTO skips(source, kind, file, line, byte_offset, reason) VALUES(?,?,?,?,?,?)")
            for s in skips {
                try ins.bind([
                    .text(source), .text(s.kind.rawValue), .text(s.file), s.line.map { .int(Int64($0)) },
                    s.offset.map { .int(Int64($0)) }, .text(s.reason),
                ])
                while try ins.step() {}
            }
            for f in completedFiles {
                try db.run(
                    """
                    UPDATE files SET status = ?, content_hash = ?, documents = ?, skipped = ?, tokens = ?, bytes = ?
                    WHERE source = ? AND file_index = ?
                    """,
                    [
                        .text(f.status), f.contentHash.map { .text($0) }, .int(Int64(f.counters.documents)),
                        .int(Int64(f.counters.skipped)), .int(Int64(f.counters.tokens)), .int(Int64(f.counters.bytes)),
                        .text(source), .int(Int64(f.index)),
                    ])
            }
            try writeCursor(source, cursor)
        }
    }

    /// Records a shard of any dataset (`tokens/<source>` or `packed`).
    /// `index` replaces the number in the shard's name (a merge numbers shards across folders).
    public func recordShard(dataset: String, _ shard: ShardRecord, index: Int? = nil) throws {
        let e = shard.entry
        try db.run(
            """
            INSERT OR REPLACE INTO shards(dataset, shard_index, path, documents, tokens, raw_bytes, zip_bytes, \
            raw_xxh64, zip_xxh64, entry_json, document_lengths)
            VALUES(?,?,?,?,?,?,?,?,?,?,?)
            """,
            [
                .text(dataset), .int(Int64(index ?? Int(e.rawBasename.split(separator: ".")[1]) ?? 0)),
                .text(dataset + "/" + (e.zipBasename ?? e.rawBasename)), .int(Int64(shard.documents)),
                .int(Int64(shard.tokens)),
                .int(Int64(e.rawBytes)), e.zipBytes.map { .int(Int64($0)) }, .text(e.rawHashes["xxh64"] ?? ""),
                e.zipHashes?["xxh64"].map { .text($0) }, .text(e.json.encoded()),
                shard.documentLengths.map { .text(DocumentLengths.encode($0)) },
            ])
    }

    public func finishSource(_ name: String, totals: Totals, shards: Int) throws {
        try db.run(
            """
            UPDATE sources SET status = 'done', documents = ?, skipped = ?, file_errors = ?, tokens = ?, bytes_in \
            = ?, bytes_out = ?, shards = ?
            WHERE name = ?
            """,
            [
                .int(Int64(totals.documents)), .int(Int64(totals.skipped)), .int(Int64(totals.fileErrors)),
                .int(Int64(totals.tokens)),
                .int(Int64(totals.bytesIn)), .int(Int64(totals.bytesOut)), .int(Int64(shards)), .text(name),
            ])
    }

    /// Deletes every row of a dataset's shards (a `packed` rebuild).
    public func forgetShards(dataset: String) throws {
        try db.run("DELETE FROM shards WHERE dataset = ?", [.text(dataset)])
    }

    func isoNow() -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date())
    }
}

extension Catalog {
    /// Whether a committed document of `source` has this id (repeated `id_field` values).
    func hasDocumentId(source: String, _ id: String) throws -> Bool {
        try !db.query("SELECT 1 FROM document_ids WHERE source = ? AND doc_id = ?", [.text(source), .text(id)]).isEmpty
    }

    /// The shard entries recorded for a dataset, in order (resume of a build).
    public func shardEntries(dataset: String) throws -> [MDSShardEntry] {
        try db.query("SELECT entry_json FROM shards WHERE dataset = ? ORDER BY shard_index", [.text(dataset)]).map {
            try MDSShardEntry(json: try JSONValue.parse(Data(($0[0]?.text ?? "").utf8)))
        }
    }

    /// Commits a packed shard and the build checkpoint that resumes after it, in one transaction.
    func commitBuildShard(_ entry: MDSShardEntry, dataset: String, rowsBefore: Int, checkpoint: String) throws {
        try db.transaction {
            try recordShard(dataset: dataset, ShardRecord(entry: entry, documents: entry.samples, tokens: 0))
            try setValue("build.checkpoint", checkpoint)
        }
    }
}

extension Catalog {
    /// Replaces the realized-vs-target rows of the mixture (per phase, window NULL; and per
    /// window of 1% of a phase).
    public func recordMixture(_ rows: [MixtureRow]) throws {
        try db.transaction { try replaceMixtureRows(rows) }
    }

    /// The body of `recordMixture`, for callers that are already inside a transaction.
    func replaceMixtureRows(_ rows: [MixtureRow]) throws {
        try db.run("DELETE FROM mixture_realized")
        let ins = try db.prepare(
            """
            INSERT INTO mixture_realized(phase, phase_name, window, start_token, end_token, source, target_tokens,
                realized_tokens, cumulative_target, cumulative_realized) VALUES(?,?,?,?,?,?,?,?,?,?)
            """)
        for r in rows {
            try ins.bind([
                .int(Int64(r.phase)), .text(r.phaseName), r.window.map { .int(Int64($0)) },
                .int(Int64(r.startToken)), .int(Int64(r.endToken)), .text(r.source),
                .int(Int64(r.targetTokens)), .int(Int64(r.realizedTokens)),
                .int(Int64(r.cumulativeTarget)), .int(Int64(r.cumulativeRealized)),
            ])
            while try ins.step() {}
        }
    }
}
