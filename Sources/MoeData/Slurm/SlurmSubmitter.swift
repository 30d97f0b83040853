import FileSupport
import Foundation

/// `moe-data slurm`: plans the ingest tasks, writes the sbatch scripts into `<output>/slurm/`,
/// submits what `SlurmPlanner` decides and records it in `catalog.sqlite`.
///
/// Jobs are submitted held (`sbatch --hold`) and released only once they are recorded: a job
/// that started at once (a merge job with nothing to wait for) would otherwise race this process
/// for the output's lock and catalog; and when recording fails, the held jobs are cancelled, so
/// no job runs that the catalog does not know.
public struct SlurmSubmitter {
    public var scripts: SlurmScripts
    /// nil: Slurm's commands are not on PATH (a dry run still works).
    public var client: SlurmClient?
    /// Receives the lines to print.
    public var report: (String) -> Void

    public init(scripts: SlurmScripts, client: SlurmClient?, report: @escaping (String) -> Void) {
        self.scripts = scripts
        self.client = client
        self.report = report
    }

    public struct Outcome: Sendable {
        public var plan: SlurmRecord.Plan
        public var decision: SlurmPlanner.Decision
        /// What was submitted (nil for a dry run or when nothing was).
        public var submission: SlurmRecord.Submission?
    }

    /// Plans, then prints the scripts (`dryRun`: nothing is written or submitted) or submits them.
    public func run(dryRun: Bool) throws -> Outcome {
        let output = scripts.manifest.output
        if output.contains("\\") {
            throw MoeDataError(
                "\(output): Slurm ignores the %-patterns of log file names in a path with a backslash; "
                    + "use an output folder without one")
        }
        guard dryRun || client != nil else {
            throw MoeDataError(
                "sbatch and squeue are not on PATH: run `moe-data slurm` on a machine that submits "
                    + "Slurm jobs (a login node), or add --dry-run to see the scripts")
        }
        let manifest = scripts.manifest
        let partition = try IngestPartition(manifest: manifest, taskCount: scripts.taskCount)
        let modelExists = FileManager.default.fileExists(atPath: manifest.tokenizer.model)
        if !modelExists && manifest.tokenizer.train == nil {
            throw MoeDataError(
                "\(manifest.path): tokenizer.model: \(manifest.tokenizer.model) does not exist, and the "
                    + "manifest has no tokenizer.train to make it; the ingest tasks need it")
        }
        // What finished tasks record: it needs the tokenizer; before it is trained, no task is done.
        let input =
            try modelExists
            ? Ingest(manifest: manifest, options: Ingest.Options()).inputDigest(
                partition: partition,
                tokenizer: Tokenizer(
                    modelPath: manifest.tokenizer.model, sentinels: manifest.tokenizer.sentinels,
                    eos: manifest.tokenizer.eosChoice))
            : nil
        let plan = SlurmRecord.Plan(
            tasks: scripts.taskCount, partition: partition.digest, input: input,
            taskBytes: (0..<scripts.taskCount).map { partition.bytes(ofTask: $0) })
        let files = IngestTaskFiles(outputDirectory: output)
        let done = Set(
            (0..<plan.tasks).filter { task in
                guard let marker = try? IngestTaskDone.read(path: files.donePath(task)) else { return false }
                return marker.partition == input && marker.tasks == plan.tasks
            })
        var record = try SlurmRecord.load(output: output)
        let states = try jobStates(record, dryRun: dryRun)
        let needsTokenizer = !modelExists
        let decision = try SlurmPlanner(
            taskCount: plan.tasks, partition: plan.partition, done: done, record: record, states: states,
            needsTokenizer: needsTokenizer, sliceCount: scripts.build?.slices
        ).decide()
        reportPlan(plan, done: done, decision: decision)
        if decision.submitsNothing {
            report(
                "nothing to submit: every task is done or still in Slurm, and job \(decision.waitingMerge ?? "?") "
                    + "(an earlier submission's merge job, or build job after its slices) waits for them (it "
                    + "runs the merge and build of its own submission: to change them, `scancel` it and run this "
                    + "again); follow with "
                    + "`moe-data status \(output)`")
            return Outcome(plan: plan, decision: decision, submission: nil)
        }
        if dryRun {
            try printScripts(decision)
            report("dry run: nothing written, nothing submitted")
            return Outcome(plan: plan, decision: decision, submission: nil)
        }
        record.plan = plan
        let submission = try submit(decision, record: &record)
        return Outcome(plan: plan, decision: decision, submission: submission)
    }

    /// Slurm's states of the recorded jobs. A dry run goes on without them when Slurm cannot be
    /// asked (it then plans as if none of them ran any more), and says so.
    private func jobStates(_ record: SlurmRecord, dryRun: Bool) throws -> [String: SlurmJobState] {
        let ids = record.submissions.flatMap(\.jobIDs)
        guard !ids.isEmpty else { return [:] }
        let note = "; planned as if none of the recorded jobs still ran"
        guard let client else {
            report("note: Slurm's commands are not on PATH" + note)
            return [:]
        }
        do { return try client.states(of: ids) } catch  where dryRun {
            report("note: Slurm could not be asked (\(error))" + note)
            return [:]
        }
    }

    private func reportPlan(_ plan: SlurmRecord.Plan, done: Set<Int>, decision: SlurmPlanner.Decision) {
        let sources = scripts.manifest.sources.count
        report(
            "plan: \(plan.tasks) tasks over \(sources) source\(sources == 1 ? "" : "s"), "
                + "\(formatBytes(plan.totalBytes)) of input (partition \(plan.partition)); \(done.count) done, "
                + "\(decision.running.count) in Slurm, \(decision.tasks.count) to submit")
        if !decision.cancel.isEmpty {
            report("to cancel (can never start, or replaced): \(decision.cancel.joined(separator: ", "))")
        }
    }

    /// The scripts as a dry run shows them, with placeholders for the ids sbatch would give.
    private func printScripts(_ decision: SlurmPlanner.Decision) throws {
        let tokenizer = decision.submitsTokenizer ? "<tokenizer job id>" : decision.tokenizerJob
        if decision.submitsTokenizer, let text = try scripts.tokenizerScript() {
            report("--- \(scripts.folder)/tokenizer.sbatch\n" + text)
        }
        if !decision.tasks.isEmpty {
            let text = try scripts.ingestScript(tasks: decision.tasks, dependency: tokenizer.map { [$0] } ?? [])
            report("--- \(scripts.folder)/ingest.sbatch\n" + text)
        }
        let array = decision.tasks.isEmpty ? [] : ["<ingest array job id>"]
        let dependency = (tokenizer.map { [$0] } ?? []) + array + decision.mergeDependencies
        report("--- \(scripts.folder)/merge.sbatch\n" + (try scripts.mergeScript(dependency: dependency)))
        guard !decision.slices.isEmpty else { return }
        let slices = try scripts.sliceScript(slices: decision.slices, dependency: ["<merge job id>"])
        report("--- \(scripts.folder)/slice.sbatch\n" + slices)
        report("--- \(scripts.folder)/build.sbatch\n" + (try scripts.buildScript(dependency: ["<slice array job id>"])))
    }
}
