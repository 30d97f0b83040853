/// Decides what a `moe-data slurm` run submits, from what is done (completion files), what the
/// earlier submissions recorded and what Slurm says of their jobs. It runs no command and writes
/// nothing, so every case can be checked with made-up states.
///
/// - A task is submitted unless it is done (a completion file with the current partition digest)
///   or an earlier job of it may still run (pending or running in Slurm).
/// - The merge job waits (`afterok`) for the new array, for every earlier job of a task that may
///   still run, and for the tokenizer job. When there is nothing to submit for the tasks and an
///   earlier merge job may still run, nothing is submitted at all. When tasks are submitted again,
///   an earlier merge job still pending can never start (it waits on the failed tasks' array): it is
///   cancelled and replaced.
/// - When every task is done, only the merge job is submitted: merge and build find their work
///   done and end within seconds when nothing changed, or build a new mixture.
/// - A job pending on a dependency that can never be met (Slurm's DependencyNeverSatisfied) is
///   cancelled and its work submitted again.
public struct SlurmPlanner: Sendable {
    public var taskCount: Int
    public var partition: String
    public var done: Set<Int>
    public var record: SlurmRecord
    /// Slurm's states of the recorded jobs, keyed as `SlurmClient.states` keys them; empty without Slurm.
    public var states: [String: SlurmJobState]
    /// The manifest trains its tokenizer and the model is missing.
    public var needsTokenizer: Bool

    public struct Decision: Sendable, Equatable {
        /// Tasks for the new array, ascending; empty: no array.
        public var tasks: [Int] = []
        /// Earlier jobs that may still run, per task.
        public var running: [Int: String] = [:]
        /// Submit a tokenizer job (else, when `tokenizerJob` is set, wait for that one).
        public var submitsTokenizer = false
        public var tokenizerJob: String?
        /// Submit a merge job (after `mergeDependencies`, the new array and the tokenizer job).
        public var submitsMerge = false
        public var mergeDependencies: [String] = []
        /// An earlier merge job that may still run and is kept.
        public var waitingMerge: String?
        /// Jobs to cancel first: they can never start, or a new job replaces them.
        public var cancel: [String] = []

        public var submitsNothing: Bool { tasks.isEmpty && !submitsTokenizer && !submitsMerge }
    }

    public func decide() throws -> Decision {
        try refuseOtherPlansStillRunning()
        var decision = Decision()
        let current = record.submissions.filter { $0.partition == partition }
        for submission in current {
            for task in submission.tasks {
                guard let id = submission.jobID(ofTask: task), let state = states[id] else { continue }
                if state.isActive { decision.running[task] = id }
                if state.waitsForever { decision.cancel.append(id) }
            }
        }
        decision.tasks = (0..<taskCount).filter { !done.contains($0) && decision.running[$0] == nil }
        let activeMerge = current.compactMap(\.mergeJob).last { states[$0]?.isActive == true }
        decision.cancel += current.compactMap(\.mergeJob).filter { states[$0]?.waitsForever == true }
        if decision.tasks.isEmpty, let activeMerge {
            decision.waitingMerge = activeMerge
            return decision
        }
        if let activeMerge { decision.cancel.append(activeMerge) }
        if needsTokenizer {
            let activeTokenizer = current.compactMap(\.tokenizerJob).last { states[$0]?.isActive == true }
            decision.tokenizerJob = activeTokenizer
            decision.submitsTokenizer = activeTokenizer == nil
        }
        decision.submitsMerge = true
        decision.mergeDependencies = mergeDependencies(running: decision.running, current: current)
        decision.cancel = Array(Set(decision.cancel)).sorted()
        return decision
    }

    /// Earlier ingest jobs the merge job waits for: a whole array job when all its elements may still run
    /// or succeeded (afterok on an array needs every element), else its running elements one by one.
    private func mergeDependencies(running: [Int: String], current: [SlurmRecord.Submission]) -> [String] {
        var ids: [String] = []
        for submission in current {
            guard let arrayJob = submission.arrayJob else { continue }
            let mine = submission.tasks.filter { running[$0] == submission.jobID(ofTask: $0) }
            guard !mine.isEmpty else { continue }
            let wholeArrayGood = submission.tasks.allSatisfy { task in
                running[task] == submission.jobID(ofTask: task)
                    || submission.jobID(ofTask: task).flatMap { states[$0] }?.succeeded == true
            }
            ids += wholeArrayGood ? [arrayJob] : mine.compactMap { submission.jobID(ofTask: $0) }
        }
        return ids
    }

    /// Jobs of a submission made for another partition (another N, or changed inputs) must not
    /// run beside this one: their tasks would write the same folders with other boundaries.
    private func refuseOtherPlansStillRunning() throws {
        var active: [String] = []
        for submission in record.submissions where submission.partition != partition {
            for id in submission.jobIDs {
                let elements = states.filter { $0.key == id || $0.key.hasPrefix(id + "_") }
                active += elements.filter { $0.value.isActive }.map(\.key)
            }
        }
        guard !active.isEmpty else { return }
        throw MoeDataError(
            "jobs of an earlier submission with another partition of the input (another --tasks, or changed "
                + "input files) may still run: \(active.sorted().joined(separator: ", ")); wait for them or "
                + "`scancel` them, then run `moe-data slurm` again")
    }
}
