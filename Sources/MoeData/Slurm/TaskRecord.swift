import Foundation
import JSON

/// What one ingest task (`moe-data ingest --task I --tasks N`) left in the output folder, read
/// without writing anything: its completion marker `tasks/task-NNNNN.done` and its own catalog
/// `tasks/task-NNNNN.sqlite` (opened read-only: a running task writes it).
public struct TaskRecord: Sendable {
    /// Figures of the task's last committed shard (`task.progress`).
    public struct Progress: Sendable, Equatable {
        public var documents = 0, tokens = 0, skipped = 0, bytes = 0
    }

    /// One attempt (a row of the task catalog's `runs`).
    public struct Attempt: Sendable, Equatable {
        public var started: Date
        public var ended: Date?
        /// running, done or failed (a killed attempt stays running).
        public var status: String
    }

    public var index: Int
    /// The completion marker, when there is one that parses.
    public var completion: IngestTaskDone?
    public var hasCatalog = false
    /// The input digest the task's catalog was made from (`task.partition`).
    public var input: String?
    public var taskCount: Int?
    /// The task's share of the input bytes (`task.bytes`).
    public var shareBytes: Int?
    public var progress: Progress?
    /// The error sentence of the last failed attempt (`task.error`).
    public var error: String?
    public var attempts: [Attempt] = []
    /// Why the catalog could not be read, when it could not.
    public var unreadable: String?

    /// Reads what task `index` left; missing files leave their fields empty.
    public static func load(output: String, task index: Int) throws -> TaskRecord {
        let files = IngestTaskFiles(outputDirectory: output)
        var record = TaskRecord(index: index, completion: try? IngestTaskDone.read(path: files.donePath(index)))
        let path = files.catalogPath(index)
        guard FileManager.default.fileExists(atPath: path) else { return record }
        record.hasCatalog = true
        // A catalog that cannot be read now (a writer on another host, a damaged file) leaves the
        // task's other figures; status shows the reason.
        do { try record.read(catalog: path) } catch { record.unreadable = "\(error)" }
        return record
    }

    private mutating func read(catalog path: String) throws {
        let db = try SQLiteDatabase(path: path, readOnly: true)
        var kv: [String: String] = [:]
        for row in try db.query("SELECT key, value FROM kv WHERE key LIKE 'task.%'") {
            if let key = row[0]?.text, let value = row[1]?.text { kv[key] = value }
        }
        input = kv[IngestTaskKeys.partition]
        taskCount = kv[IngestTaskKeys.count].flatMap { Int($0) }
        shareBytes = kv[IngestTaskKeys.bytes].flatMap { Int($0) }
        error = kv[IngestTaskKeys.error]
        if let text = kv[IngestTaskKeys.progress], let json = try? JSONValue.parse(Data(text.utf8)) {
            func int(_ key: String) -> Int { json[key]?.intValue.map(Int.init) ?? 0 }
            progress = Progress(
                documents: int("documents"), tokens: int("tokens"), skipped: int("skipped"), bytes: int("bytes"))
        }
        let dates = ISO8601DateFormatter()
        attempts = try db.query("SELECT started_at, ended_at, status FROM runs ORDER BY id").compactMap { row in
            guard let started = row[0].flatMap({ dates.date(from: $0.text) }) else { return nil }
            let status = row[2]?.text ?? ""
            // RecordedRun writes "failed: <error>".
            return Attempt(
                started: started, ended: row[1].flatMap { dates.date(from: $0.text) },
                status: status.hasPrefix("failed") ? "failed" : status)
        }
    }

    /// Seconds the task has worked: its attempts that ended, plus the last one up to `now` when it
    /// is still running. An attempt killed without an end time counts for nothing.
    public func workedSeconds(now: Date, lastIsRunning: Bool) -> Double {
        var total = 0.0
        for (i, attempt) in attempts.enumerated() {
            if let ended = attempt.ended {
                total += ended.timeIntervalSince(attempt.started)
            } else if lastIsRunning && i == attempts.count - 1 {
                total += now.timeIntervalSince(attempt.started)
            }
        }
        return max(total, 0)
    }
}
