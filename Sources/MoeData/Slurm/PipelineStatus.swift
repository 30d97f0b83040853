import Foundation

/// `moe-data status`: every ingest task of an output folder, the jobs around them, and the total
/// with progress and an estimate of the time left. It reads, never writes: the completion files,
/// the task catalogs (read-only), the plan and jobs `moe-data slurm` recorded in `catalog.sqlite`,
/// and Slurm's job states when Slurm's commands are on PATH and jobs were recorded.
public struct PipelineStatus: Sendable {
    public var output: String
    public var taskCount: Int
    /// The input digest finished tasks carry (as `moe-data slurm` recorded it, else the one most
    /// completion markers, or task catalogs, carry); nil when nothing says.
    public var input: String?
    public var tasks: [TaskStatus]
    /// The tokenizer, merge and build jobs of the latest submission, with Slurm's word on them.
    public var jobs: [(stage: String, id: String, state: SlurmJobState?)]
    /// The build slices of the latest submission that asked for them (`--build-slices`); else empty.
    public var slices: [SliceStatus] = []
    /// False when Slurm could not be asked (not on PATH, or nothing recorded).
    public var askedSlurm: Bool
    public var totalBytes: Int

    public static func load(output: String, client: SlurmClient?, now: Date = Date()) throws -> PipelineStatus {
        let record = try SlurmRecord.load(output: output)
        let (taskCount, found) = try taskRecords(output: output, plan: record.plan)
        // Before the tokenizer was trained, `moe-data slurm` could not know the input digest: then the
        // one the tasks' markers (else catalogs) of this task count mostly carry.
        let markers = found.compactMap(\.completion).filter { $0.tasks == taskCount }.map(\.partition)
        let input =
            record.plan?.input ?? mostCommon(markers)
            ?? mostCommon(found.compactMap { $0.taskCount == taskCount ? $0.input : nil })
        let split = record.plan?.partition
        let current = record.submissions.filter { $0.partition == split }
        let ids = current.flatMap(\.jobIDs)
        let states = ids.isEmpty ? [:] : (try client?.states(of: ids) ?? [:])
        var tasks: [TaskStatus] = []
        for task in 0..<taskCount {
            let taskRecord = found[task]
            let submission = current.last { $0.tasks.contains(task) }
            let job = submission?.jobID(ofTask: task)
            let share = record.plan.flatMap { task < $0.taskBytes.count ? $0.taskBytes[task] : nil }
            var status = TaskStatus(
                record: taskRecord, input: input, taskCount: taskCount, shareBytes: share,
                slurm: job.flatMap { states[$0] }, job: job, now: now)
            if let submission, let arrayJob = submission.arrayJob {
                status.log = SlurmScripts.logPath(
                    output: output, jobName: submission.jobName, arrayJob: arrayJob, task: task)
            }
            tasks.append(status)
        }
        var jobs: [(stage: String, id: String, state: SlurmJobState?)] = []
        if let id = current.last(where: { $0.tokenizerJob != nil })?.tokenizerJob {
            jobs.append(("tokenizer", id, states[id]))
        }
        if let id = current.last(where: { $0.mergeJob != nil })?.mergeJob { jobs.append(("merge", id, states[id])) }
        if let id = current.last?.buildJob { jobs.append(("build", id, states[id])) }
        return PipelineStatus(
            output: output, taskCount: taskCount, input: input, tasks: tasks, jobs: jobs,
            slices: SliceStatus.load(output: output, submissions: current, states: states),
            askedSlurm: client != nil && !ids.isEmpty, totalBytes: tasks.map(\.shareBytes).reduce(0, +))
    }

    /// The task count, and what the tasks left: as `moe-data slurm` planned them, else the tasks
    /// found under `tasks/` (run by hand with `moe-data ingest --task I --tasks N`).
    static func taskRecords(output: String, plan: SlurmRecord.Plan?) throws -> (Int, [TaskRecord]) {
        let count = try plan.flatMap { $0.tasks > 0 ? $0.tasks : nil } ?? taskCountFound(output: output)
        return (count, try (0..<count).map { try TaskRecord.load(output: output, task: $0) })
    }

    /// The task count the completion markers and catalogs under `tasks/` mostly carry.
    static func taskCountFound(output: String) throws -> Int {
        let folder = IngestTaskFiles(outputDirectory: output).directory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let indices = Set(
            names.compactMap { name -> Int? in
                guard name.hasPrefix("task-"), name.hasSuffix(".done") || name.hasSuffix(".sqlite") else { return nil }
                return Int(name.dropFirst(5).prefix { $0.isNumber })
            })
        let found = try indices.sorted().map { try TaskRecord.load(output: output, task: $0) }
        let counts = found.compactMap { $0.completion?.tasks ?? $0.taskCount }
        guard let count = mostCommon(counts.map(String.init)).flatMap({ Int($0) }) else {
            if let unreadable = found.first(where: { $0.unreadable != nil })?.unreadable {
                throw MoeDataError("\(output): no task count found: a task catalog cannot be read: \(unreadable)")
            }
            throw MoeDataError(
                "\(output): no ingest tasks here (no plan recorded by `moe-data slurm`, no tasks/task-*.done or "
                    + "task catalog); submit them with `moe-data slurm <manifest> --tasks N`")
        }
        return count
    }

    /// The value most entries share (ties: the largest, so the choice never depends on order).
    static func mostCommon(_ values: [String]) -> String? {
        Dictionary(grouping: values) { $0 }.max { ($0.value.count, $0.key) < ($1.value.count, $1.key) }?.key
    }

    public var doneCount: Int { tasks.filter { $0.state == .done }.count }

    /// Input bytes read: a done task's whole share, else what its catalog says it read, up to its share
    /// (a task reads past its last cut to the end of the line there).
    public var bytesDone: Int {
        tasks.map { t in
            guard t.shareBytes > 0 else { return t.bytesRead }
            return t.state == .done ? t.shareBytes : min(t.bytesRead, t.shareBytes)
        }.reduce(0, +)
    }

    /// Seconds left at the mean per-task byte rate so far, times the tasks running now (at least one);
    /// nil before any task has a rate, or when no task runs or waits.
    public var secondsLeft: Double? {
        let worked = tasks.filter { $0.seconds > 0 && $0.bytesRead > 0 }
        let seconds = worked.map(\.seconds).reduce(0, +), bytes = worked.map(\.bytesRead).reduce(0, +)
        let waiting = tasks.filter { $0.state == .running || $0.state == .pending }
        guard seconds > 0, bytes > 0, !waiting.isEmpty else {
            return bytesDone >= totalBytes && totalBytes > 0 ? 0 : nil
        }
        let parallel = max(1, tasks.filter { $0.state == .running }.count)
        return Double(max(0, totalBytes - bytesDone)) / (Double(bytes) / seconds * Double(parallel))
    }
}
