import Foundation
import JSON
import MDS

extension IngestMerge {
    /// Adds one task's rows to the output catalog, in one transaction, with the task's catalog
    /// attached (read with SQL, not loaded into memory). Shards are renumbered after the earlier
    /// tasks' shards of their source; their files stay where the task wrote them.
    func mergeTask(_ index: Int, into catalog: Catalog, shardCounts: inout [String: Int]) throws {
        let name = IngestTask.name(index)
        let path = files.catalogPath(index)
        let shards = try taskShards(index)
        let db = catalog.db
        try db.run("ATTACH DATABASE ? AS task", [.text(path)])
        defer { try? db.execute("DETACH DATABASE task") }
        try db.transaction {
            if let repeated = try db.query(
                """
                SELECT d.source, d.doc_id FROM task.document_ids d
                JOIN main.document_ids m ON m.source = d.source AND m.doc_id = d.doc_id LIMIT 1
                """
            ).first {
                throw MoeDataError(
                    "source '\(repeated[0]?.text ?? "")': the id '\(repeated[1]?.text.prefix(200) ?? "")' is in "
                        + "\(name) and in an earlier task; a one-task ingest keeps the first and skips the "
                        + "repeat, which a merge cannot do without rewriting shards: make the ids unique, or "
                        + "ingest without --tasks")
            }
            try db.execute(
                """
                INSERT INTO main.document_ids(source, doc_id) SELECT source, doc_id FROM task.document_ids;
                INSERT INTO main.skips(source, kind, file, line, byte_offset, reason)
                    SELECT source, kind, file, line, byte_offset, reason FROM task.skips ORDER BY id;
                INSERT INTO main.sources(name, format, domain, language, text_field, tokenizer_hash, signature,
                    status, files, documents, skipped, file_errors, tokens, bytes_in, bytes_out, shards)
                    SELECT name, format, domain, language, text_field, tokenizer_hash, signature, 'done', files,
                        documents, skipped, file_errors, tokens, bytes_in, bytes_out, shards FROM task.sources WHERE 1
                    ON CONFLICT(name) DO UPDATE SET documents = documents + excluded.documents,
                        skipped = skipped + excluded.skipped, file_errors = file_errors + excluded.file_errors,
                        tokens = tokens + excluded.tokens, bytes_in = bytes_in + excluded.bytes_in,
                        bytes_out = bytes_out + excluded.bytes_out, shards = shards + excluded.shards;
                INSERT INTO main.files(source, file_index, path, size, mtime, content_hash, status, documents,
                    skipped, tokens, bytes)
                    SELECT source, file_index, path, size, mtime, content_hash, status, documents, skipped, tokens,
                        bytes FROM task.files WHERE 1
                    ON CONFLICT(source, file_index) DO UPDATE SET
                        content_hash = CASE WHEN content_hash LIKE 'pieces:%'
                            THEN content_hash || ',' || excluded.content_hash
                            ELSE 'pieces:' || content_hash || ',' || excluded.content_hash END,
                        status = CASE WHEN status = 'error' OR excluded.status = 'error' THEN 'error'
                            ELSE excluded.status END,
                        documents = documents + excluded.documents, skipped = skipped + excluded.skipped,
                        tokens = tokens + excluded.tokens, bytes = bytes + excluded.bytes;
                """)
            for shard in shards {
                var entry = shard.entry
                entry.rawBasename = name + "/" + entry.rawBasename
                entry.zipBasename = entry.zipBasename.map { name + "/" + $0 }
                let number = shardCounts[shard.dataset, default: 0]
                shardCounts[shard.dataset] = number + 1
                try db.run(
                    """
                    INSERT INTO shards(dataset, shard_index, path, documents, tokens, raw_bytes, zip_bytes,
                        raw_xxh64, zip_xxh64, entry_json, document_lengths) VALUES(?,?,?,?,?,?,?,?,?,?,?)
                    """,
                    [
                        .text(shard.dataset), .int(Int64(number)),
                        .text(shard.dataset + "/" + (entry.zipBasename ?? entry.rawBasename)),
                        .int(Int64(shard.documents)), .int(Int64(shard.tokens)), .int(Int64(entry.rawBytes)),
                        entry.zipBytes.map { .int(Int64($0)) }, .text(entry.rawHashes["xxh64"] ?? ""),
                        entry.zipHashes?["xxh64"].map { .text($0) }, .text(entry.json.encoded()),
                        shard.documentLengths.map { .text($0) },
                    ])
            }
        }
    }

    struct TaskShard {
        var dataset: String
        var entry: MDSShardEntry
        var documents: Int
        var tokens: Int
        /// `shards.document_lengths` as the task's catalog holds it.
        var documentLengths: String?
    }

    /// A task's shards in order, each checked on disk (name and size): a merge never indexes a
    /// shard that is not there.
    func taskShards(_ index: Int) throws -> [TaskShard] {
        let name = IngestTask.name(index)
        let catalog = try Catalog(path: files.catalogPath(index), rollbackJournal: true)
        let rows = try catalog.db.query(
            """
            SELECT dataset, entry_json, documents, tokens, document_lengths FROM shards
                ORDER BY dataset, shard_index
            """)
        return try rows.map { row in
            let dataset = row[0]?.text ?? ""
            let entry = try MDSShardEntry(json: try JSONValue.parse(Data((row[1]?.text ?? "").utf8)))
            let dir = URL(fileURLWithPath: outputDirectory).appendingPathComponent(dataset)
                .appendingPathComponent(name)
            guard PackedPublisher.holdsShards(dir, [entry], hashing: false) else {
                throw MoeDataError(
                    "\(dir.appendingPathComponent(entry.zipBasename ?? entry.rawBasename).path): \(name) recorded "
                        + "this shard but it is missing or has another size; delete \(files.donePath(index)) and "
                        + "run the task again")
            }
            return TaskShard(
                dataset: dataset, entry: entry, documents: row[2]?.int ?? 0, tokens: row[3]?.int ?? 0,
                documentLengths: row[4]?.text)
        }
    }

    /// Makes the per-file accounting that of a one-task ingest:
    /// - A fault that ends a file (corrupt zstd data) is met by the piece that reads it, and again
    ///   by every later piece of the file, whose prefix decodes the same frames. The later pieces
    ///   hold no documents, as a one-task ingest reads none after the fault; the file counts one
    ///   file error, the first.
    /// - A file split between tasks where no piece found a record is, as in a one-task ingest, a
    ///   file-level problem: "no records in file".
    func finishFiles(_ db: SQLiteDatabase) throws {
        let repeated = try db.query(
            """
            SELECT s.id, s.source FROM skips s WHERE s.kind = 'file' AND EXISTS (SELECT 1 FROM skips e
                WHERE e.kind = 'file' AND e.source = s.source AND e.file = s.file AND e.id < s.id)
            """)
        for row in repeated {
            try db.run("DELETE FROM skips WHERE id = ?", [row[0]])
            try db.run("UPDATE sources SET file_errors = file_errors - 1 WHERE name = ?", [row[1]])
        }
        let empty = try db.query(
            """
            SELECT source, file_index, path FROM files WHERE content_hash LIKE 'pieces:%' AND documents = 0
                AND skipped = 0 AND status = 'done' ORDER BY source, file_index
            """)
        for row in empty {
            let source = row[0]?.text ?? "", index = row[1]?.int ?? 0, path = row[2]?.text ?? ""
            try db.run(
                "INSERT INTO skips(source, kind, file, line, byte_offset, reason) VALUES(?, 'file', ?, NULL, 0, ?)",
                [.text(source), .text(path), .text("no records in file")])
            try db.run(
                "UPDATE files SET status = 'error' WHERE source = ? AND file_index = ?",
                [.text(source), .int(Int64(index))])
            try db.run("UPDATE sources SET file_errors = file_errors + 1 WHERE name = ?", [.text(source)])
        }
    }
}
