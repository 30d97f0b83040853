import Foundation
import Testing

@testable import MoeData

/// What `moe-data slurm` submits, decided from made-up completion files, records and Slurm states.
@Suite struct SlurmPlannerTests {
    static let digest = "00112233aabbccdd"

    static func submission(
        tasks: [Int], array: String?, merge: String?, tokenizer: String? = nil, partition: String = digest
    ) -> SlurmRecord.Submission {
        SlurmRecord.Submission(
            time: "2026-12-06T00:00:00Z", partition: partition, tasks: tasks, array: "", arrayJob: array,
            mergeJob: merge, tokenizerJob: tokenizer, jobName: "moe-data-test")
    }

    static func states(_ pairs: [(String, String, String?)]) -> [String: SlurmJobState] {
        Dictionary(
            uniqueKeysWithValues: pairs.map {
                ($0.0, SlurmJobState.reported(id: $0.0, state: $0.1, reason: $0.2, origin: "test"))
            })
    }

    static func decide(
        done: Set<Int> = [], submissions: [SlurmRecord.Submission] = [], states: [String: SlurmJobState] = [:],
        tokenizer: Bool = false
    ) throws -> SlurmPlanner.Decision {
        let record = SlurmRecord(
            plan: .init(tasks: 4, partition: digest, input: nil, taskBytes: [1, 1, 1, 1]), submissions: submissions)
        return try SlurmPlanner(
            taskCount: 4, partition: digest, done: done, record: record, states: states, needsTokenizer: tokenizer
        ).decide()
    }

    @Test func aFirstRunSubmitsEveryTaskAndAMergeJob() throws {
        let d = try Self.decide()
        #expect(d.tasks == [0, 1, 2, 3] && d.submitsMerge && d.mergeDependencies.isEmpty && d.cancel.isEmpty)
        #expect(!d.submitsTokenizer && d.tokenizerJob == nil)
        #expect(try Self.decide(tokenizer: true).submitsTokenizer)
    }

    @Test func aRerunAfterAFailureSubmitsOnlyTheTasksNotDone() throws {
        let d = try Self.decide(
            done: [0, 2, 3], submissions: [Self.submission(tasks: [0, 1, 2, 3], array: "10", merge: "11")],
            states: Self.states([
                ("10_0", "COMPLETED", nil), ("10_1", "FAILED", "NonZeroExitCode"), ("10_2", "COMPLETED", nil),
                ("10_3", "COMPLETED", nil), ("11", "CANCELLED", "DependencyNeverSatisfied"),
            ]))
        #expect(d.tasks == [1] && d.running.isEmpty && d.submitsMerge && d.mergeDependencies.isEmpty)
        #expect(d.cancel.isEmpty, "a cancelled merge job needs no scancel: \(d.cancel)")
    }

    @Test func tasksStillInSlurmAreNotSubmittedAgainAndTheMergeWaitsForThem() throws {
        let d = try Self.decide(
            done: [0], submissions: [Self.submission(tasks: [0, 1, 2, 3], array: "10", merge: "11")],
            states: Self.states([
                ("10_0", "COMPLETED", nil), ("10_1", "CANCELLED", nil), ("10_2", "RUNNING", nil),
                ("10_3", "PENDING", "JobArrayTaskLimit"), ("11", "PENDING", "Dependency"),
            ]))
        #expect(d.tasks == [1])
        #expect(d.running == [2: "10_2", 3: "10_3"])
        // The old merge job waits on an array with a cancelled element: it can never start.
        #expect(d.cancel == ["11"])
        // afterok on the whole array 10 would never be met (10_1 was cancelled): its elements one by one.
        #expect(d.mergeDependencies == ["10_2", "10_3"])
    }

    @Test func aWholeArrayStillGoodIsOneDependency() throws {
        let d = try Self.decide(
            done: [0],
            submissions: [
                Self.submission(tasks: [0, 1], array: "10", merge: nil),
                Self.submission(tasks: [2, 3], array: "12", merge: "13"),
            ],
            states: Self.states([
                ("10_0", "COMPLETED", nil), ("10_1", "RUNNING", nil), ("12_2", "FAILED", nil), ("12_3", "RUNNING", nil),
                ("13", "PENDING", "DependencyNeverSatisfied"),
            ]))
        #expect(d.tasks == [2])
        #expect(d.mergeDependencies == ["10", "12_3"])
        #expect(d.cancel == ["13"])
    }

    @Test func whenEveryTaskIsDoneOnlyTheMergeIsSubmitted() throws {
        let d = try Self.decide(
            done: [0, 1, 2, 3], submissions: [Self.submission(tasks: [0, 1, 2, 3], array: "10", merge: "11")],
            states: Self.states([("11", "COMPLETED", nil)]))
        #expect(d.tasks.isEmpty && d.submitsMerge && !d.submitsNothing && d.mergeDependencies.isEmpty)
    }

    @Test func nothingIsSubmittedWhileTheTasksAndTheMergeMayStillRun() throws {
        let d = try Self.decide(
            done: [0, 1], submissions: [Self.submission(tasks: [0, 1, 2, 3], array: "10", merge: "11")],
            states: Self.states([
                ("10_0", "COMPLETED", nil), ("10_1", "COMPLETED", nil), ("10_2", "RUNNING", nil),
                ("10_3", "RUNNING", nil), ("11", "PENDING", "Dependency"),
            ]))
        #expect(d.submitsNothing && d.waitingMerge == "11" && d.cancel.isEmpty)
    }

    @Test func aJobThatWaitsForeverIsCancelledAndItsTaskSubmittedAgain() throws {
        let d = try Self.decide(
            submissions: [Self.submission(tasks: [0, 1, 2, 3], array: "10", merge: "11", tokenizer: "9")],
            states: Self.states([
                ("9", "FAILED", nil), ("10_0", "PENDING", "DependencyNeverSatisfied"),
                ("10_1", "PENDING", "DependencyNeverSatisfied"), ("10_2", "PENDING", "DependencyNeverSatisfied"),
                ("10_3", "PENDING", "DependencyNeverSatisfied"), ("11", "PENDING", "DependencyNeverSatisfied"),
            ]), tokenizer: true)
        #expect(d.tasks == [0, 1, 2, 3] && d.submitsTokenizer && d.submitsMerge)
        #expect(d.cancel == ["10_0", "10_1", "10_2", "10_3", "11"])
    }

    @Test func aRunningTokenizerJobIsWaitedForNotSubmittedAgain() throws {
        let d = try Self.decide(
            submissions: [Self.submission(tasks: [0, 1, 2, 3], array: "10", merge: "11", tokenizer: "9")],
            states: Self.states([
                ("9", "RUNNING", nil), ("10_0", "CANCELLED", nil), ("10_1", "PENDING", "Dependency"),
                ("10_2", "PENDING", "Dependency"), ("10_3", "PENDING", "Dependency"), ("11", "PENDING", "Dependency"),
            ]), tokenizer: true)
        #expect(d.tasks == [0] && !d.submitsTokenizer && d.tokenizerJob == "9")
        #expect(d.mergeDependencies == ["10_1", "10_2", "10_3"] && d.cancel == ["11"])
    }

    @Test func jobsOfAnotherPartitionStillRunningAreRefused() throws {
        let old = Self.submission(tasks: [0, 1], array: "5", merge: "6", partition: "ffffffffffffffff")
        #expect(throws: MoeDataError.self) {
            try Self.decide(submissions: [old], states: Self.states([("5_1", "RUNNING", nil)]))
        }
        // Once they ended, they are history: the new plan goes ahead.
        let d = try Self.decide(submissions: [old], states: Self.states([("5_1", "COMPLETED", nil)]))
        #expect(d.tasks == [0, 1, 2, 3])
    }

    @Test func arraySpecsAreRangesWithTheLimit() {
        #expect(SlurmScripts.arraySpec([0, 1, 2, 3], maxParallel: 2) == "0-3%2")
        #expect(SlurmScripts.arraySpec([1, 3], maxParallel: nil) == "1,3")
        #expect(SlurmScripts.arraySpec([5, 0, 1, 2, 7, 8], maxParallel: 3) == "0-2,5,7-8%3")
    }

    @Test func theCompletionLogGivesArrayElementsAndPlainJobs() {
        let log = """
            JobId=3 UserId=root(0) GroupId=root(0) Name=moe-data-t-ingest JobState=COMPLETED Partition=local \
            WorkDir=/tmp/a b JobState=X ArrayJobId=1 ArrayTaskId=1 DerivedExitCode=0:0 ExitCode=0:0
            JobId=1 UserId=root(0) Name=moe-data-t-ingest JobState=FAILED WorkDir=/tmp/a b ArrayJobId=1 ArrayTaskId=3
            JobId=2 UserId=root(0) Name=moe-data-t-merge JobState=CANCELLED WorkDir=/tmp
            JobId=7 UserId=root(0) Name=other JobState=COMPLETED WorkDir=/tmp
            """
        let states = SlurmCompletionLog.states(log, jobs: ["1", "2"], origin: "log")
        let byID = Dictionary(uniqueKeysWithValues: states.map { ($0.id, $0.state) })
        #expect(byID == ["1_1": "COMPLETED", "1_3": "FAILED", "2": "CANCELLED"])
    }
}
