import Foundation

/// `moe-data status`: every ingest task of an output folder, the jobs around them, and the total
/// with progress and an estimate of the time left. It reads, never writes: the completion files,
/// the task catalogs (read-only), the plan and jobs `moe-data slurm` recorded in `catalog.sqlite`,
/// and Slurm's job states when Slurm's commands are on PATH and jobs were recorded.
public struct PipelineStatus: Sendable {
    public var output: String
    public var taskCount: Int
    public var partition: String?
    public var tasks: [TaskStatus]
    /// The tokenizer and merge jobs of the latest submission, with Slurm's word on them.
    public var jobs: [(stage: String, id: String, state: SlurmJobState?)]
    /// False when Slurm could not be asked (not on PATH, or nothing recorded).
    public var askedSlurm: Bool
    public var totalBytes: Int

    public static func load(output: String, client: SlurmClient?, now: Date = Date()) throws -> PipelineStatus {
        let record = try SlurmRecord.load(output: output)
        let (taskCount, partition) = try plan(output: output, record: record)
        let ids = record.submissions.filter { $0.partition == partition }.flatMap(\.jobIDs)
        let states = ids.isEmpty ? [:] : (try client?.states(of: ids) ?? [:])
        let planBytes = record.plan?.partition == partition ? record.plan?.taskBytes : nil
        var tasks: [TaskStatus] = []
        for task in 0..<taskCount {
            let taskRecord = try TaskRecord.load(output: output, task: task)
            let submission = record.latestSubmission(ofTask: task)
            let job = submission?.jobID(ofTask: task)
            var status = TaskStatus(
                record: taskRecord, partition: partition, shareBytes: planBytes.flatMap { task < $0.count ? $0[task] : nil },
                slurm: job.flatMap { states[$0] }, job: job, now: now)
            if let submission, let arrayJob = submission.arrayJob {
                status.log = SlurmScripts.logPath(
                    output: output, jobName: submission.jobName, arrayJob: arrayJob, task: task)
            }
            tasks.append(status)
        }
        var jobs: [(stage: String, id: String, state: SlurmJobState?)] = []
        let current = record.submissions.filter { $0.partition == partition }
        if let last = current.last(where: { $0.tokenizerJob != nil }), let id = last.tokenizerJob {
            jobs.append(("tokenizer", id, states[id]))
        }
        if let id = record.latestMerge?.mergeJob { jobs.append(("merge", id, states[id])) }
        let total = tasks.map(\.shareBytes).reduce(0, +)
        return PipelineStatus(
            output: output, taskCount: taskCount, partition: partition, tasks: tasks, jobs: jobs,
            askedSlurm: client != nil && !ids.isEmpty, totalBytes: total)
    }

    /// The task count and partition digest: as `moe-data slurm` recorded them, else from the task
    /// catalogs (tasks run by hand with `moe-data ingest --task I --tasks N`).
    static func plan(output: String, record: SlurmRecord) throws -> (Int, String) {
        if let plan = record.plan, plan.tasks > 0 { return (plan.tasks, plan.partition) }
        let folder = TaskRecord.folder(output: output)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names.sorted() where name.hasPrefix("task-") && name.hasSuffix(".done") {
            if let index = Int(name.dropFirst(5).dropLast(5)),
                let done = TaskRecord.completion(output: output, task: index)
            {
                return (done.tasks, done.partition)
            }
        }
        for name in names.sorted() where name.hasPrefix("task-") && name.hasSuffix(".sqlite") {
            let db = try SQLiteDatabase(path: (folder as NSString).appendingPathComponent(name), readOnly: true)
            let rows = try db.query("SELECT key, value FROM kv WHERE key IN ('task.count', 'task.partition')")
            let kv = Dictionary(rows.compactMap { r in r[0].flatMap { k in r[1].map { (k.text, $0.text) } } },
                                uniquingKeysWith: { a, _ in a })
            if let count = kv["task.count"].flatMap({ Int($0) }), let partition = kv["task.partition"] {
                return (count, partition)
            }
        }
        throw MoeDataError(
            "\(output): no ingest tasks here (no plan recorded by `moe-data slurm`, no tasks/task-*.done or "
                + "task catalog); submit them with `moe-data slurm <manifest> --tasks N`")
    }

    public var doneCount: Int { tasks.filter { $0.state == .done }.count }

    /// Input bytes read: a done task's whole share, else what its catalog says it read.
    public var bytesDone: Int { tasks.map { $0.state == .done ? max($0.shareBytes, $0.bytesRead) : $0.bytesRead }.reduce(0, +) }

    /// Seconds left at the mean per-task byte rate so far, times the tasks running now (at least one);
    /// nil before any task has a rate, or when no task runs or waits.
    public var secondsLeft: Double? {
        let worked = tasks.filter { $0.seconds > 0 && $0.bytesRead > 0 }
        let seconds = worked.map(\.seconds).reduce(0, +), bytes = worked.map(\.bytesRead).reduce(0, +)
        let waiting = tasks.filter { $0.state == .running || $0.state == .pending }
        guard seconds > 0, bytes > 0, !waiting.isEmpty else { return bytesDone >= totalBytes && totalBytes > 0 ? 0 : nil }
        let parallel = max(1, tasks.filter { $0.state == .running }.count)
        return Double(max(0, totalBytes - bytesDone)) / (Double(bytes) / seconds * Double(parallel))
    }
}
