import FileSupport
import Foundation

extension SlurmSubmitter {
    /// Cancels what the decision says, writes and submits the scripts held, records the submission
    /// under the output's lock, then releases the jobs.
    func submit(_ decision: SlurmPlanner.Decision, record: inout SlurmRecord) throws -> SlurmRecord.Submission {
        guard let client else { throw MoeDataError("Slurm's commands are not on PATH") }
        let output = scripts.manifest.output
        var held: [String] = []
        var submission = SlurmRecord.Submission(
            time: ISO8601DateFormatter().string(from: Date()), partition: record.plan?.partition ?? "",
            tasks: decision.tasks, array: "", arrayJob: nil, mergeJob: nil, tokenizerJob: nil,
            jobName: scripts.jobName)
        let recorded = record
        do {
            submission = try RecordedRun.perform("slurm", outputDirectory: output) { catalog in
                if !decision.cancel.isEmpty {
                    try client.cancel(decision.cancel)
                    report("cancelled \(decision.cancel.joined(separator: ", "))")
                }
                try FileManager.default.createDirectory(atPath: scripts.logFolder, withIntermediateDirectories: true)
                let made = try submitJobs(decision, into: submission, held: &held)
                var updated = recorded
                updated.submissions.append(made)
                try updated.save(to: catalog)
                return made
            }
        } catch {
            // Held jobs have not started: cancel them, so nothing runs that the catalog does not know.
            try? client.cancel(held)
            throw error
        }
        record.submissions.append(submission)
        try client.release(held)
        report(
            "recorded in \(output)/\(Catalog.fileName) (kv \(SlurmRecord.submissionsKey)); "
                + "logs in \(scripts.logFolder)/")
        report("follow with: moe-data status \(output)")
        return submission
    }

    /// Writes each script and submits it held; `held` collects the ids as they come.
    private func submitJobs(
        _ decision: SlurmPlanner.Decision, into base: SlurmRecord.Submission, held: inout [String]
    ) throws -> SlurmRecord.Submission {
        guard let client else { throw MoeDataError("Slurm's commands are not on PATH") }
        var submission = base
        var tokenizer = decision.tokenizerJob
        if decision.submitsTokenizer, let text = try scripts.tokenizerScript() {
            let id = try client.submit(script: try write("tokenizer.sbatch", text), hold: true)
            held.append(id)
            tokenizer = id
            submission.tokenizerJob = id
            report("submitted tokenizer job \(id): trains \(scripts.manifest.tokenizer.model)")
        }
        if !decision.tasks.isEmpty {
            let text = try scripts.ingestScript(tasks: decision.tasks, dependency: tokenizer.map { [$0] } ?? [])
            let id = try client.submit(script: try write("ingest.sbatch", text), hold: true)
            held.append(id)
            submission.arrayJob = id
            submission.array = SlurmScripts.arraySpec(decision.tasks, maxParallel: scripts.settings.maxParallel)
            report(
                "submitted ingest array job \(id): \(decision.tasks.count) of \(scripts.taskCount) tasks "
                    + "(--array=\(submission.array))" + (tokenizer.map { ", after job \($0)" } ?? ""))
        }
        let dependency =
            (tokenizer.map { [$0] } ?? []) + (submission.arrayJob.map { [$0] } ?? []) + decision.mergeDependencies
        let id = try client.submit(
            script: try write("merge.sbatch", try scripts.mergeScript(dependency: dependency)),
            hold: true)
        held.append(id)
        submission.mergeJob = id
        let then = scripts.build.map { ", then build --mixture \($0.mixture)" } ?? ""
        let after = dependency.isEmpty ? "" : " (afterok:\(dependency.joined(separator: ":")))"
        report("submitted merge job \(id)\(after): merge\(then)")
        return submission
    }

    /// Writes a script into `<output>/slurm/` (atomically: a job may be reading the previous one).
    private func write(_ name: String, _ text: String) throws -> String {
        let path = (scripts.folder as NSString).appendingPathComponent(name)
        try AtomicFile.write(Array(text.utf8), to: URL(fileURLWithPath: path))
        return path
    }
}
