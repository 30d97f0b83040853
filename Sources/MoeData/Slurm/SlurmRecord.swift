import Foundation
import JSON

/// What `moe-data slurm` records in the output's `catalog.sqlite` (kv), so that `status` and the
/// next `moe-data slurm` know the plan and the jobs without asking the manifest or Slurm's history:
/// `slurm.plan` (the partition: task count, digests, each task's share of the input bytes) and
/// `slurm.submissions` (a JSON array, one entry per submission).
public struct SlurmRecord: Sendable, Equatable {
    public static let planKey = "slurm.plan"
    public static let submissionsKey = "slurm.submissions"

    public struct Plan: Sendable, Equatable {
        public var tasks: Int
        /// `IngestPartition.digest`: the split (files, sizes, cuts). Submissions of another split are
        /// of another plan.
        public var partition: String
        /// The input digest finished tasks record (`IngestTaskKeys.partition`: the split, the
        /// sources' settings, files and tokenizer); nil while the tokenizer is still to be trained.
        public var input: String?
        /// Each task's share of the input bytes.
        public var taskBytes: [Int]

        public var totalBytes: Int { taskBytes.reduce(0, +) }
    }

    /// One `moe-data slurm` run that submitted jobs.
    public struct Submission: Sendable, Equatable {
        /// ISO 8601.
        public var time: String
        public var partition: String
        /// The tasks of its ingest array, and the array's `--array` value ("1,3%2"); empty when it submitted no array.
        public var tasks: [Int]
        public var array: String
        public var arrayJob: String?
        public var mergeJob: String?
        public var tokenizerJob: String?
        /// Job name prefix (`<prefix>-ingest`, `-merge`, `-tokenizer`), which names the log files.
        public var jobName: String

        /// The Slurm id of task `task` in this submission's array (`<array job>_<task>`).
        public func jobID(ofTask task: Int) -> String? {
            guard let arrayJob, tasks.contains(task) else { return nil }
            return "\(arrayJob)_\(task)"
        }

        /// Every job id (array jobs as one id).
        public var jobIDs: [String] { [tokenizerJob, arrayJob, mergeJob].compactMap { $0 } }
    }

    public var plan: Plan?
    public var submissions: [Submission] = []

    public init(plan: Plan? = nil, submissions: [Submission] = []) {
        self.plan = plan
        self.submissions = submissions
    }
}

extension SlurmRecord {
    /// Reads the record from `<output>/catalog.sqlite` without writing it; empty when there is none.
    public static func load(output: String) throws -> SlurmRecord {
        let path = (output as NSString).appendingPathComponent(Catalog.fileName)
        guard FileManager.default.fileExists(atPath: path) else { return SlurmRecord() }
        let db = try SQLiteDatabase(path: path, readOnly: true)
        // A catalog made by a moe-data without this table's key is still a catalog.
        let rows = try db.query(
            "SELECT key, value FROM kv WHERE key IN (?, ?)", [.text(planKey), .text(submissionsKey)])
        var values: [String: String] = [:]
        for row in rows { if let key = row[0]?.text, let value = row[1]?.text { values[key] = value } }
        return try SlurmRecord(planText: values[planKey], submissionsText: values[submissionsKey], path: path)
    }

    init(planText: String?, submissionsText: String?, path: String) throws {
        func parse(_ text: String, _ key: String) throws -> JSONValue {
            do { return try JSONValue.parse(Data(text.utf8)) } catch {
                throw MoeDataError(
                    "\(path): kv \(key) is not JSON (\(error)); run `moe-data slurm` again to rewrite it")
            }
        }
        if let planText {
            let json = try parse(planText, Self.planKey)
            plan = Plan(
                tasks: json["tasks"]?.intValue.map(Int.init) ?? 0, partition: json["partition"]?.stringValue ?? "",
                input: json["input"]?.stringValue,
                taskBytes: (json["task_bytes"]?.arrayValue ?? []).map { Int($0.intValue ?? 0) })
        }
        if let submissionsText {
            submissions = (try parse(submissionsText, Self.submissionsKey).arrayValue ?? []).map(Submission.init(json:))
        }
    }

    /// Writes the record into a catalog (one transaction per key is enough: only `moe-data slurm` writes them).
    public func save(to catalog: Catalog) throws {
        if let plan {
            let json: JSONValue = .object([
                "tasks": .int(Int64(plan.tasks)), "partition": .string(plan.partition),
                "input": plan.input.map { .string($0) } ?? .null,
                "task_bytes": .array(plan.taskBytes.map { .int(Int64($0)) }),
            ])
            try catalog.setValue(Self.planKey, json.encoded())
        }
        try catalog.setValue(Self.submissionsKey, JSONValue.array(submissions.map(\.json)).encoded())
    }
}

extension SlurmRecord.Submission {
    init(json: JSONValue) {
        time = json["time"]?.stringValue ?? ""
        partition = json["partition"]?.stringValue ?? ""
        tasks = (json["tasks"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) }
        array = json["array"]?.stringValue ?? ""
        arrayJob = json["array_job"]?.stringValue
        mergeJob = json["merge_job"]?.stringValue
        tokenizerJob = json["tokenizer_job"]?.stringValue
        jobName = json["job_name"]?.stringValue ?? ""
    }

    var json: JSONValue {
        func optional(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        return .object([
            "time": .string(time), "partition": .string(partition), "tasks": .array(tasks.map { .int(Int64($0)) }),
            "array": .string(array), "array_job": optional(arrayJob), "merge_job": optional(mergeJob),
            "tokenizer_job": optional(tokenizerJob), "job_name": .string(jobName),
        ])
    }
}
