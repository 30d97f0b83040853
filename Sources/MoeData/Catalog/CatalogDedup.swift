/// The catalog's record of the dedup stage: `dedup_removals`, one row per removed (or, counted
/// contamination, flagged) document, with the survivor it duplicated or the evaluation passage it
/// shares an n-gram with. The table exists only in outputs deduplicated once.
extension Catalog {
    public struct DedupRemovalRow: Sendable, Equatable {
        public var source: String
        public var ordinal: Int
        public var docId: String
        public var tokens: Int
        /// exact, near or contamination.
        public var kind: String
        /// The surviving copy's source and doc_id; for contamination `eval` and the passage's `<file>:<line>`.
        public var keptSource: String
        public var keptDocId: String
        public var jaccard: Double?
        public var removed: Bool
    }

    func createDedupTable() throws {
        try db.execute(
            """
            CREATE TABLE IF NOT EXISTS dedup_removals(
                source TEXT NOT NULL, ordinal INTEGER NOT NULL, doc_id TEXT NOT NULL, tokens INTEGER NOT NULL,
                kind TEXT NOT NULL, kept_source TEXT NOT NULL, kept_doc_id TEXT NOT NULL, jaccard REAL,
                removed INTEGER NOT NULL, PRIMARY KEY(source, ordinal));
            CREATE INDEX IF NOT EXISTS dedup_removals_doc ON dedup_removals(source, doc_id);
            """)
    }

    var hasDedupTable: Bool {
        get throws {
            try !db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dedup_removals'").isEmpty
        }
    }

    /// Replaces the stage's rows, its signature and its stats section in one transaction.
    func recordDedup(_ rows: [DedupRemovalRow], signature: String, stats: String) throws {
        try createDedupTable()
        try db.transaction {
            try db.run("DELETE FROM dedup_removals")
            let insert = try db.prepare(
                """
                INSERT INTO dedup_removals(source, ordinal, doc_id, tokens, kind, kept_source, kept_doc_id, jaccard,
                    removed) VALUES(?,?,?,?,?,?,?,?,?)
                """)
            for r in rows {
                try insert.bind([
                    .text(r.source), .int(Int64(r.ordinal)), .text(r.docId), .int(Int64(r.tokens)), .text(r.kind),
                    .text(r.keptSource), .text(r.keptDocId), r.jaccard.map { .double($0) }, .int(r.removed ? 1 : 0),
                ])
                while try insert.step() {}
            }
            try setValue("dedup.signature", signature)
            try setValue("stats.dedup", stats)
        }
    }

    /// Forgets the stage's record (a manifest without `dedup:` any more).
    func forgetDedup() throws {
        try db.transaction {
            if try hasDedupTable { try db.run("DELETE FROM dedup_removals") }
            try deleteValue("dedup.signature")
            try deleteValue("stats.dedup")
        }
    }

    /// Every row, by source and ordinal.
    public func dedupRemovals() throws -> [DedupRemovalRow] {
        guard try hasDedupTable else { return [] }
        return try db.query(
            """
            SELECT source, ordinal, doc_id, tokens, kind, kept_source, kept_doc_id, jaccard, removed
            FROM dedup_removals ORDER BY source, ordinal
            """
        ).map(Self.dedupRow)
    }

    /// The row of one document, or nil when it was not removed (or flagged).
    public func dedupRemoval(source: String, docId: String) throws -> DedupRemovalRow? {
        guard try hasDedupTable else { return nil }
        return try db.query(
            """
            SELECT source, ordinal, doc_id, tokens, kind, kept_source, kept_doc_id, jaccard, removed
            FROM dedup_removals WHERE source = ? AND doc_id = ?
            """, [.text(source), .text(docId)]
        ).first.map(Self.dedupRow)
    }

    /// Tokens of the documents removed from each source.
    public func removedTokens() throws -> [String: Int] {
        guard try hasDedupTable, try value("dedup.signature") != nil else { return [:] }
        var tokens: [String: Int] = [:]
        for r in try db.query("SELECT source, SUM(tokens) FROM dedup_removals WHERE removed = 1 GROUP BY source") {
            tokens[r[0]?.text ?? ""] = r[1]?.int ?? 0
        }
        return tokens
    }

    private static func dedupRow(_ r: [SQLiteValue?]) -> DedupRemovalRow {
        DedupRemovalRow(
            source: r[0]?.text ?? "", ordinal: r[1]?.int ?? 0, docId: r[2]?.text ?? "", tokens: r[3]?.int ?? 0,
            kind: r[4]?.text ?? "", keptSource: r[5]?.text ?? "", keptDocId: r[6]?.text ?? "",
            jaccard: r[7]?.double, removed: (r[8]?.int ?? 0) != 0)
    }
}
