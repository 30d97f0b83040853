import Foundation

/// Where one ingest task stands, from its completion file, its catalog and Slurm.
public struct TaskStatus: Sendable {
    public enum State: String, Sendable {
        case done, running, pending, failed
        case notStarted = "not started"
    }

    public var task: Int
    public var state: State
    public var documents = 0, tokens = 0, skipped = 0
    /// Input bytes read, and the task's share of the input.
    public var bytesRead = 0, shareBytes = 0
    /// Seconds worked (completed attempts, plus the running one).
    public var seconds = 0.0
    /// The Slurm job of its latest submission (`<array job>_<task>`) and what Slurm says of it.
    public var job: String?
    public var slurmState: SlurmJobState?
    /// Why it failed: the task's error sentence (naming file and line), or what Slurm says.
    public var error: String?
    /// The job's log file.
    public var log: String?

    public var tokensPerSecond: Double? { seconds > 0 && tokens > 0 ? Double(tokens) / seconds : nil }
    public var bytesPerSecond: Double? { seconds > 0 && bytesRead > 0 ? Double(bytesRead) / seconds : nil }

    /// The state from what the task left and what Slurm says (`slurm` nil: not asked, or unknown).
    /// A catalog attempt still marked running whose job Slurm no longer runs was killed (scancel,
    /// time limit, out of memory, node failure): the catalog cannot say so itself.
    /// `input`: the input digest of the current tasks (nil: any); a marker or catalog of another input
    /// or task count is stale and does not count.
    init(
        record: TaskRecord, input: String?, taskCount: Int, shareBytes: Int?, slurm: SlurmJobState?, job: String?,
        now: Date
    ) {
        task = record.index
        self.job = job
        slurmState = slurm
        self.shareBytes = shareBytes ?? record.shareBytes ?? 0
        if let done = record.completion, done.tasks == taskCount, input == nil || done.partition == input {
            state = .done
            (documents, tokens, skipped, bytesRead, seconds) =
                (done.documents, done.tokens, done.skipped, done.bytes, done.seconds)
            return
        }
        let mine =
            record.hasCatalog && (record.taskCount ?? taskCount) == taskCount
            && (input == nil || record.input == nil || record.input == input)
        if mine, let p = record.progress {
            (documents, tokens, skipped, bytesRead) = (p.documents, p.tokens, p.skipped, p.bytes)
        }
        let lastAttempt = mine ? record.attempts.last : nil
        if let slurm, slurm.isPending {
            state = .pending
        } else if let slurm, slurm.isRunning {
            state = .running
        } else if lastAttempt?.status == "running" && (slurm == nil || slurm?.isActive == true) {
            state = .running  // no Slurm job to ask (a task run by hand), or Slurm agrees
        } else if lastAttempt?.status == "running" || lastAttempt?.status == "failed" {
            state = .failed
            error = TaskStatus.failure(catalogError: record.error, slurm: slurm, attempt: lastAttempt?.status)
        } else if let slurm, !slurm.isActive, !slurm.succeeded {
            state = .failed
            error = "Slurm: \(slurm.text)" + (slurm.waitsForever ? " (a job it depends on failed)" : "")
        } else {
            state = .notStarted
        }
        seconds = mine ? record.workedSeconds(now: now, lastIsRunning: state == .running) : 0
        if let unreadable = record.unreadable { error = "its catalog cannot be read now: \(unreadable)" }
    }

    static func failure(catalogError: String?, slurm: SlurmJobState?, attempt: String?) -> String {
        let killed = attempt == "running"
        let slurmText = slurm.map { "Slurm: \($0.text)" }
        switch (catalogError, killed) {
        case (let e?, false): return e + (slurmText.map { " (\($0))" } ?? "")
        case (_, true): return "killed while running" + (slurmText.map { " (\($0))" } ?? "")
        default: return slurmText ?? "failed"
        }
    }
}
