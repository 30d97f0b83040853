import Foundation
import JSON

/// What `moe-data stats` shows: per source, files, documents, skips, tokens, bytes in and out;
/// the skip reasons; the runs.
public struct CatalogStats: Sendable {
    public struct SourceRow: Sendable {
        public var name: String, format: String, domain: String, status: String
        public var files: Int, documents: Int, skipped: Int, fileErrors: Int, tokens: Int, bytesIn: Int, bytesOut: Int,
            shards: Int
        /// The manifest's `language` of the source (nil when it gives none).
        public var language: String? = nil
    }
    public struct SkipReason: Sendable {
        public var source: String, kind: String, reason: String, count: Int, example: String
    }
    public struct Run: Sendable {
        public var id: Int, command: String, status: String, startedAt: String, endedAt: String?
    }
    public var sources: [SourceRow]
    public var skipReasons: [SkipReason]
    public var runs: [Run]
    /// Extra sections other stages add (mixture realized vs target, packing), as JSON.
    public var sections: [String: JSONValue]

    public static func load(_ catalog: Catalog) throws -> CatalogStats {
        let db = catalog.db
        let sources = try db.query(
            """
            SELECT name, format, domain, status, files, documents, skipped, file_errors, tokens, bytes_in, \
            bytes_out, shards, language
            FROM sources ORDER BY rowid
            """
        ).map { r in
            SourceRow(
                name: r[0]?.text ?? "", format: r[1]?.text ?? "", domain: r[2]?.text ?? "", status: r[3]?.text ?? "",
                files: r[4]?.int ?? 0, documents: r[5]?.int ?? 0, skipped: r[6]?.int ?? 0, fileErrors: r[7]?.int ?? 0,
                tokens: r[8]?.int ?? 0, bytesIn: r[9]?.int ?? 0, bytesOut: r[10]?.int ?? 0, shards: r[11]?.int ?? 0,
                language: r[12]?.text)
        }
        let reasons = try db.query(
            """
            SELECT source, kind, reason, COUNT(*), MIN(file || COALESCE(':' || line, '') || COALESCE(' (byte \
            offset ' || byte_offset || ')', ''))
            FROM skips GROUP BY source, kind, reason ORDER BY COUNT(*) DESC, source, reason
            """
        ).map { r in
            SkipReason(
                source: r[0]?.text ?? "", kind: r[1]?.text ?? "", reason: r[2]?.text ?? "", count: r[3]?.int ?? 0,
                example: r[4]?.text ?? "")
        }
        let runs = try db.query("SELECT id, command, status, started_at, ended_at FROM runs ORDER BY id").map { r in
            Run(
                id: r[0]?.int ?? 0, command: r[1]?.text ?? "", status: r[2]?.text ?? "", startedAt: r[3]?.text ?? "",
                endedAt: r[4]?.text)
        }
        var sections: [String: JSONValue] = [:]
        let mix = try db.query(
            """
            SELECT phase, phase_name, window, start_token, end_token, source, target_tokens, realized_tokens,
                   cumulative_target, cumulative_realized FROM mixture_realized ORDER BY phase, window IS NOT \
                   NULL, window, source
            """)
        if !mix.isEmpty {
            sections["mixture_realized"] = .array(
                mix.map { r in
                    .object([
                        "phase": .int(Int64(r[0]?.int ?? 0)), "phase_name": .string(r[1]?.text ?? ""),
                        "window": r[2].map { .int(Int64($0.int)) } ?? .null, "start_token": .int(Int64(r[3]?.int ?? 0)),
                        "end_token": .int(Int64(r[4]?.int ?? 0)), "source": .string(r[5]?.text ?? ""),
                        "target_tokens": .int(Int64(r[6]?.int ?? 0)), "realized_tokens": .int(Int64(r[7]?.int ?? 0)),
                        "cumulative_target": .int(Int64(r[8]?.int ?? 0)),
                        "cumulative_realized": .int(Int64(r[9]?.int ?? 0)),
                    ])
                })
        }
        for r in try db.query("SELECT key, value FROM kv WHERE key LIKE 'stats.%' ORDER BY key") {
            if let k = r[0]?.text, let v = r[1]?.text, let j = try? JSONValue.parse(Data(v.utf8)) {
                sections[String(k.dropFirst(6))] = j
            }
        }
        return CatalogStats(sources: sources, skipReasons: reasons, runs: runs, sections: sections)
    }

    public var json: JSONValue {
        .object(
            [
                "sources": .array(
                    sources.map { s in
                        .object([
                            "name": .string(s.name), "format": .string(s.format), "domain": .string(s.domain),
                            "status": .string(s.status),
                            "files": .int(Int64(s.files)), "documents": .int(Int64(s.documents)),
                            "skipped": .int(Int64(s.skipped)),
                            "file_errors": .int(Int64(s.fileErrors)), "tokens": .int(Int64(s.tokens)),
                            "bytes_in": .int(Int64(s.bytesIn)),
                            "bytes_out": .int(Int64(s.bytesOut)), "shards": .int(Int64(s.shards)),
                            "documents_read": .int(Int64(s.documents + s.skipped)),
                        ])
                    }),
                "skip_reasons": .array(
                    skipReasons.map { r in
                        .object([
                            "source": .string(r.source), "kind": .string(r.kind), "reason": .string(r.reason),
                            "count": .int(Int64(r.count)), "example": .string(r.example),
                        ])
                    }),
                "runs": .array(
                    runs.map { r in
                        .object([
                            "id": .int(Int64(r.id)), "command": .string(r.command), "status": .string(r.status),
                            "started_at": .string(r.startedAt), "ended_at": r.endedAt.map { .string($0) } ?? .null,
                        ])
                    }),
            ].merging(sections) { a, _ in a })
    }

    /// Human-readable tables.
    public func render() -> String {
        var out = "Sources\n"
        let header = [
            "source", "format", "domain", "files", "docs read", "documents", "skipped", "file errors", "tokens",
            "bytes in", "bytes out", "shards", "status",
        ]
        var rows = sources.map { s in
            [
                s.name, s.format, s.domain, "\(s.files)", "\(s.documents + s.skipped)", "\(s.documents)",
                "\(s.skipped)", "\(s.fileErrors)",
                "\(s.tokens)", formatBytes(s.bytesIn), formatBytes(s.bytesOut), "\(s.shards)", s.status,
            ]
        }
        let t = sources.reduce(into: [0, 0, 0, 0, 0, 0, 0, 0]) { a, s in
            a[0] += s.files; a[1] += s.documents + s.skipped; a[2] += s.documents; a[3] += s.skipped;
            a[4] += s.fileErrors
            a[5] += s.tokens; a[6] += s.bytesIn; a[7] += s.bytesOut
        }
        rows.append([
            "total", "", "", "\(t[0])", "\(t[1])", "\(t[2])", "\(t[3])", "\(t[4])", "\(t[5])", formatBytes(t[6]),
            formatBytes(t[7]), "", "",
        ])
        out += TextTable.render(header: header, rows: rows)
        if !skipReasons.isEmpty {
            out += "\nSkipped records and files\n"
            out += TextTable.render(
                header: ["source", "kind", "count", "reason", "first example"],
                rows: skipReasons.map { [$0.source, $0.kind, "\($0.count)", $0.reason, $0.example] })
        }
        for key in sections.keys.sorted() {
            if let text = sections[key]?["text"]?.stringValue { out += "\n" + text }
        }
        if let last = runs.last {
            out +=
                "\nRuns: \(runs.count); last: #\(last.id) \(last.command) \(last.status), started "
                    + "\(last.startedAt)\(last.endedAt.map { ", ended \($0)" } ?? "")\n"
        }
        return out
    }
}
