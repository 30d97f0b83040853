import Foundation
import JSON

/// What one ingest task (`moe-data ingest --task I --tasks N`) left in the output folder, read
/// without writing anything: its completion file `tasks/task-IIIII.done` and its own catalog
/// `tasks/task-IIIII.sqlite` (opened read-only: a running task writes it).
public struct TaskRecord: Sendable {
    /// The completion file's figures.
    public struct Completion: Sendable, Equatable {
        public var task: Int, tasks: Int
        public var partition: String
        public var documents: Int, tokens: Int, skipped: Int, bytes: Int
        public var seconds: Double
    }

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
    public var completion: Completion?
    public var hasCatalog = false
    public var partition: String?
    /// The task's share of the input bytes (`task.bytes`).
    public var shareBytes: Int?
    public var progress: Progress?
    /// The error sentence of the last failed attempt (`task.error`).
    public var error: String?
    public var attempts: [Attempt] = []

    public static func folder(output: String) -> String { (output as NSString).appendingPathComponent("tasks") }
    static func name(_ task: Int) -> String { "task-" + String(format: "%05d", task) }
    public static func donePath(output: String, task: Int) -> String {
        (folder(output: output) as NSString).appendingPathComponent(name(task) + ".done")
    }
    public static func catalogPath(output: String, task: Int) -> String {
        (folder(output: output) as NSString).appendingPathComponent(name(task) + ".sqlite")
    }

    /// The completion file of `task`, when there is one that parses.
    public static func completion(output: String, task: Int) -> Completion? {
        guard let data = FileManager.default.contents(atPath: donePath(output: output, task: task)),
            let json = try? JSONValue.parse(data)
        else { return nil }
        func int(_ key: String) -> Int? { json[key]?.intValue.map(Int.init) }
        guard let task = int("task"), let tasks = int("tasks"), let partition = json["partition"]?.stringValue
        else { return nil }
        return Completion(
            task: task, tasks: tasks, partition: partition, documents: int("documents") ?? 0,
            tokens: int("tokens") ?? 0, skipped: int("skipped") ?? 0, bytes: int("bytes") ?? 0,
            seconds: json["seconds"].flatMap(Self.double) ?? 0)
    }

    /// Reads what task `index` left; missing files leave their fields empty.
    public static func load(output: String, task index: Int) throws -> TaskRecord {
        var record = TaskRecord(index: index, completion: completion(output: output, task: index))
        let path = catalogPath(output: output, task: index)
        guard FileManager.default.fileExists(atPath: path) else { return record }
        let db = try SQLiteDatabase(path: path, readOnly: true)
        record.hasCatalog = true
        var kv: [String: String] = [:]
        for row in try db.query("SELECT key, value FROM kv WHERE key LIKE 'task.%'") {
            if let key = row[0]?.text, let value = row[1]?.text { kv[key] = value }
        }
        record.partition = kv["task.partition"]
        record.shareBytes = kv["task.bytes"].flatMap { Int($0) }
        record.error = kv["task.error"]
        if let text = kv["task.progress"], let json = try? JSONValue.parse(Data(text.utf8)) {
            func int(_ key: String) -> Int { json[key]?.intValue.map(Int.init) ?? 0 }
            record.progress = Progress(
                documents: int("documents"), tokens: int("tokens"), skipped: int("skipped"), bytes: int("bytes"))
        }
        let dates = ISO8601DateFormatter()
        record.attempts = try db.query("SELECT started_at, ended_at, status FROM runs ORDER BY id").compactMap { row in
            guard let started = row[0].flatMap({ dates.date(from: $0.text) }) else { return nil }
            let status = row[2]?.text ?? ""
            // RecordedRun writes "failed: <error>".
            return Attempt(
                started: started, ended: row[1].flatMap { dates.date(from: $0.text) },
                status: status.hasPrefix("failed") ? "failed" : status)
        }
        return record
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

    static func double(_ value: JSONValue) -> Double? {
        if case .double(let d) = value { return d }
        return value.intValue.map(Double.init)
    }
}
