import Foundation
import JSON

extension PipelineStatus {
    /// One line per task, the tokenizer and merge jobs, the total, then each failure with its log.
    public func render() -> String {
        let digest = input.map { " (input digest \($0))" } ?? ""
        let slurm = askedSlurm ? "job states from Slurm" : "Slurm not asked (not on PATH, or no jobs recorded)"
        var out = "\(output): \(taskCount) ingest task\(taskCount == 1 ? "" : "s")\(digest); \(slurm)\n"
        let rows = tasks.map { t -> [String] in
            let read =
                t.shareBytes > 0 ? String(format: "%.0f%%", 100 * Self.fraction(t.bytesRead, t.shareBytes, t)) : "-"
            let job = t.job.map { id in id + (t.slurmState.map { " " + $0.text } ?? "") } ?? "-"
            return [
                String(t.task), t.state.rawValue, String(t.documents), String(t.tokens),
                t.tokensPerSecond.map { String(format: "%.0f", $0) } ?? "-", read, job,
            ]
        }
        out += TextTable.render(
            header: ["task", "state", "documents", "tokens", "tokens/s", "read", "job"], rows: rows)
        for job in jobs {
            out += "\(job.stage): job \(job.id) \(job.state?.text ?? (askedSlurm ? "unknown to Slurm" : "not asked"))\n"
        }
        out += totalLine() + "\n"
        for t in tasks where t.state == .failed {
            out += "task \(t.task) failed: \(t.error ?? "no error recorded")\n"
            if let log = t.log { out += "  log: \(log)\n" }
        }
        return out
    }

    /// Share of a task's bytes read; a done task has read all of them.
    static func fraction(_ read: Int, _ share: Int, _ t: TaskStatus) -> Double {
        t.state == .done ? 1 : min(1, Double(read) / Double(max(share, 1)))
    }

    func count(_ state: TaskStatus.State) -> Int { tasks.filter { $0.state == state }.count }

    func totalLine() -> String {
        var states = ["\(doneCount)/\(taskCount) done"]
        for state in [TaskStatus.State.running, .pending, .failed, .notStarted] where count(state) > 0 {
            states.append("\(count(state)) \(state.rawValue)")
        }
        let documents = tasks.map(\.documents).reduce(0, +), tokens = tasks.map(\.tokens).reduce(0, +)
        let percent = totalBytes > 0 ? String(format: " (%.0f%%)", 100 * Double(bytesDone) / Double(totalBytes)) : ""
        let eta =
            doneCount == taskCount
            ? "ingest finished" : secondsLeft.map { "ETA \(formatDuration(seconds: $0))" } ?? "ETA unknown"
        return "total: \(states.joined(separator: ", ")); \(documents) documents, \(tokens) tokens; read "
            + "\(formatBytes(bytesDone)) of \(formatBytes(totalBytes))\(percent); \(eta)"
    }

    /// The same as `render`, as one JSON document.
    public var json: JSONValue {
        func text(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        let taskValues: [JSONValue] = tasks.map { t in
            .object([
                "task": .int(Int64(t.task)), "state": .string(t.state.rawValue),
                "documents": .int(Int64(t.documents)), "tokens": .int(Int64(t.tokens)),
                "skipped": .int(Int64(t.skipped)), "bytes_read": .int(Int64(t.bytesRead)),
                "bytes_share": .int(Int64(t.shareBytes)), "seconds": .double(t.seconds),
                "tokens_per_second": t.tokensPerSecond.map { .double($0) } ?? .null,
                "job": text(t.job), "slurm_state": text(t.slurmState?.state),
                "slurm_reason": text(t.slurmState?.reason),
                "error": text(t.error), "log": text(t.log),
            ])
        }
        let jobValues: [JSONValue] = jobs.map { job in
            .object([
                "stage": .string(job.stage), "job": .string(job.id), "state": text(job.state?.state),
                "reason": text(job.state?.reason),
            ])
        }
        let total: JSONValue = .object([
            "done": .int(Int64(doneCount)), "running": .int(Int64(count(.running))),
            "pending": .int(Int64(count(.pending))), "failed": .int(Int64(count(.failed))),
            "not_started": .int(Int64(count(.notStarted))),
            "documents": .int(Int64(tasks.map(\.documents).reduce(0, +))),
            "tokens": .int(Int64(tasks.map(\.tokens).reduce(0, +))),
            "bytes_read": .int(Int64(bytesDone)), "bytes_total": .int(Int64(totalBytes)),
            "progress": .double(totalBytes > 0 ? Double(bytesDone) / Double(totalBytes) : 0),
            "seconds_left": secondsLeft.map { .double($0) } ?? .null,
        ])
        return .object([
            "output": .string(output), "tasks_total": .int(Int64(taskCount)), "input": text(input),
            "slurm_asked": .bool(askedSlurm), "tasks": .array(taskValues), "jobs": .array(jobValues), "total": total,
        ])
    }
}
