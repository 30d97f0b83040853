import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeData

/// `moe-data slurm` on a real one-node Slurm (scripts/slurm-local): job arrays, dependencies,
/// failures and resubmission, checked against a local run byte for byte. One test at a time: they
/// share the cluster's two CPUs.
@Suite(.serialized, .disabled(if: SlurmTestCluster.skipped, SlurmTestCluster.skipNote))
struct SlurmJobTests {
    /// Runs `body` in a new folder, cancelling the jobs it lists and removing the folder at the end.
    static func inFolder(_ label: String, _ body: (URL, inout [String]) throws -> Void) throws {
        let dir = try TestSupport.tempDir(label)
        var jobs: [String] = []
        defer {
            SlurmTestCluster.cancel(jobs)
            try? FileManager.default.removeItem(at: dir)
        }
        try body(dir, &jobs)
    }

    /// Submits `moe-data slurm`, returns the job ids it printed (and cancels them when the test ends).
    static func submit(_ args: [String], extra: [String: String] = [:], jobs: inout [String])
        throws -> [String: String]
    {
        let r = try SlurmCorpus.moeData(["slurm"] + args, extra: extra)
        #expect(r.status == 0, "moe-data slurm \(args): \(r.stderr)\n\(r.stdout)")
        let submitted = SlurmTestCluster.submittedJobs(r.stdout)
        jobs += submitted.values
        return submitted
    }

    /// A local one-process build of the same corpus into `folder` (no tasks): the reference.
    static func localBuild(_ corpus: SlurmCorpus, into folder: URL) throws -> [String: Data] {
        let r = try TestSupport.moeData([
            "build", corpus.manifest, "--mixture", try corpus.mixture(), "--output", folder.path, "--quiet",
        ])
        #expect(r.status == 0, "local build: \(r.stderr)")
        return try TestSupport.tree(folder.appendingPathComponent("packed"))
    }

    static func status(_ output: URL) throws -> JSONValue {
        let r = try SlurmCorpus.moeData(["status", output.path, "--json"])
        #expect(r.status == 0, "status: \(r.stderr)")
        return try JSONValue.parse(r.stdoutData)
    }

    static func taskStates(_ status: JSONValue) -> [String] {
        (status["tasks"]?.arrayValue ?? []).map { $0["state"]?.stringValue ?? "?" }
    }

    @Test func fourTasksThenMergeAndBuildGiveTheRowsOfALocalRun() throws {
        try Self.inFolder("slurm four") { dir, jobs in
            let corpus = try SlurmCorpus.standard(in: dir)
            // A path with a space: the scripts' quoting and sbatch's own parsing of #SBATCH lines.
            let output = dir.appendingPathComponent("on slurm")
            let ids = try Self.submit(
                [
                    corpus.manifest, "--tasks", "4", "--max-parallel", "2", "--mixture", try corpus.mixture(),
                    "--output", output.path,
                ], jobs: &jobs)
            let array = try #require(ids["ingest"]), merge = try #require(ids["merge"])
            let states = try SlurmTestCluster.waitUntilEnded([array, merge])
            #expect(
                states == [
                    "\(array)_0": "COMPLETED", "\(array)_1": "COMPLETED", "\(array)_2": "COMPLETED",
                    "\(array)_3": "COMPLETED", merge: "COMPLETED",
                ], "\(states)")
            // The big .jsonl and the four-frame .jsonl.zst were split between tasks: more than one task
            // wrote shards of web and of code.
            for source in ["web", "code"] {
                let tasks = try FileManager.default.contentsOfDirectory(
                    atPath: output.appendingPathComponent("tokens/\(source)").path
                ).filter { $0.hasPrefix("task-") }
                #expect(tasks.count >= 2, "\(source) was not split: \(tasks)")
            }
            let local = try Self.localBuild(corpus, into: dir.appendingPathComponent("local"))
            let sliced = try TestSupport.tree(output.appendingPathComponent("packed"))
            #expect(local.count > 1 && sliced.keys.sorted() == local.keys.sorted())
            for (name, bytes) in local { #expect(sliced[name] == bytes, "packed\(name) differs from the local run") }
            let status = try Self.status(output)
            #expect(Self.taskStates(status) == ["done", "done", "done", "done"])
            #expect(status["total"]?["progress"] == .double(1), "\(status["total"] ?? .null)")
            let logs = try FileManager.default.contentsOfDirectory(
                atPath: output.appendingPathComponent("slurm/logs").path)
            #expect(
                logs.contains("moe-data-test-ingest-\(array)_3.out")
                    && logs.contains("moe-data-test-merge-\(merge).out"))
            // Everything done: a second run submits only the merge job, which finds its work done.
            let again = try Self.submit(
                [
                    corpus.manifest, "--tasks", "4", "--mixture", try corpus.mixture(),
                    "--output", output.path,
                ], jobs: &jobs)
            #expect(again["ingest"] == nil && again["merge"] != nil, "\(again)")
            if let merge2 = again["merge"] {
                #expect(try SlurmTestCluster.waitUntilEnded([merge2]) == [merge2: "COMPLETED"])
            }
            #expect(try TestSupport.tree(output.appendingPathComponent("packed")) == local)
        }
    }

    /// How a task dies mid-way: `scancel` of its array element while a fault point holds it stopped
    /// (SIGSTOP) after a committed shard, or SIGKILL from the fault point itself, as the OOM killer would.
    enum Kill: String, CaseIterable, Sendable {
        case scancel, sigkill

        var fault: String { self == .scancel ? "stop" : "exit" }
        var slurmState: String { self == .scancel ? "CANCELLED" : "FAILED" }
    }

    @Test(arguments: Kill.allCases)
    func aKilledTaskShowsFailedAndIsResubmittedAlone(kill: Kill) throws {
        try Self.inFolder("slurm \(kill)") { dir, jobs in
            let corpus = try SlurmCorpus.standard(in: dir, repetitive: true)
            let output = dir.appendingPathComponent("out")
            let args = [corpus.manifest, "--tasks", "4", "--mixture", try corpus.mixture(), "--output", output.path]
            // The task that holds the repetitive .jsonl.gz commits more shards than any other: the fault
            // point stops or kills it half-way through, and no other task reaches that many commits.
            let shards = try Self.committedShardsPerTask(corpus)
            let victim = try #require(shards.indices.max { shards[$0] < shards[$1] })
            let hit = shards[victim] / 2 + 1
            #expect(shards.enumerated().allSatisfy { $0.offset == victim || $0.element < hit }, "\(shards)")
            let fault = "ingest.shard.committed:\(hit):\(kill.fault)"
            let first = try Self.submit(args, extra: ["MOE_DATA_FAULT": fault], jobs: &jobs)
            let array = try #require(first["ingest"]), merge = try #require(first["merge"])
            if kill == .scancel {
                try Self.waitForLog(output, array: array, task: victim, containing: "stopped")
                try SlurmTestCluster.client("scancel", ["\(array)_\(victim)"])
            }
            let states = try SlurmTestCluster.waitUntilEnded([array, merge])
            #expect(states["\(array)_\(victim)"] == kill.slurmState && states[merge] == "CANCELLED", "\(states)")
            let status = try Self.status(output)
            let failed = try #require(status["tasks"]?.arrayValue?[victim])
            #expect(failed["state"]?.stringValue == "failed" && failed["slurm_state"]?.stringValue == kill.slurmState)
            #expect(failed["error"]?.stringValue?.contains("killed") == true, "\(failed)")
            #expect((failed["tokens"]?.intValue ?? 0) > 0, "the killed task committed shards before: \(failed)")
            #expect(Self.taskStates(status).filter { $0 == "done" }.count == 3)
            // The rerun (no fault now) submits the killed task alone; it resumes, and the rows are the local run's.
            let second = try Self.submit(args, jobs: &jobs)
            let array2 = try #require(second["ingest"]), merge2 = try #require(second["merge"])
            let record = try SlurmRecord.load(output: output.path)
            #expect(record.submissions.last?.tasks == [victim] && record.submissions.last?.array == "\(victim)")
            #expect(try SlurmTestCluster.waitUntilEnded([array2, merge2]).values.allSatisfy { $0 == "COMPLETED" })
            // Two attempts: the killed one (still marked running) and the one that resumed and finished.
            let attempts = try TaskRecord.load(output: output.path, task: victim).attempts.map(\.status)
            #expect(attempts == ["running", "done"], "\(attempts)")
            let catalog = try SQLiteDatabase(
                path: IngestTaskFiles(outputDirectory: output.path).catalogPath(victim), readOnly: true)
            let resumed = try catalog.query("SELECT key FROM kv WHERE key LIKE 'ingest.resumed.%'")
            #expect(!resumed.isEmpty, "the rerun started the task again instead of resuming it")
            let local = try Self.localBuild(corpus, into: dir.appendingPathComponent("local"))
            #expect(try TestSupport.tree(output.appendingPathComponent("packed")) == local)
            #expect(Self.taskStates(try Self.status(output)) == ["done", "done", "done", "done"])
        }
    }

    /// Waits until an array element's log holds `text` (the fault point's line, say).
    static func waitForLog(_ output: URL, array: String, task: Int, containing text: String) throws {
        let path = SlurmScripts.logPath(output: output.path, jobName: "moe-data-test", arrayJob: array, task: task)
        let deadline = Date().addingTimeInterval(120)
        while (try? String(contentsOfFile: path, encoding: .utf8))?.contains(text) != true {
            if Date() > deadline { throw SlurmTestCluster.StartFailure(description: "\(path) never said '\(text)'") }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// Shards each of 4 tasks commits on this corpus, from a local run of the tasks.
    static func committedShardsPerTask(_ corpus: SlurmCorpus) throws -> [Int] {
        let probe = corpus.dir.appendingPathComponent("probe")
        defer { try? FileManager.default.removeItem(at: probe) }
        return try (0..<4).map { task in
            let r = try TestSupport.moeData(
                ["ingest", corpus.manifest, "--output", probe.path, "--task", "\(task)", "--tasks", "4", "--quiet"])
            #expect(r.status == 0, "\(r.stderr)")
            let folder = probe.appendingPathComponent("tokens")
            let names = FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []
            return names.filter { $0.contains(String(format: "task-%05d/", task)) && $0.hasSuffix(".mds.zstd") }.count
        }
    }

    @Test func aBadInputUnderOnErrorFailStopsTheMergeAndStatusNamesTheTaskFileAndLine() throws {
        try Self.inFolder("slurm bad") { dir, jobs in
            let corpus = try SlurmCorpus.standard(in: dir, onError: "fail", badLine: true)
            let output = dir.appendingPathComponent("out")
            let ids = try Self.submit(
                [corpus.manifest, "--tasks", "4", "--mixture", try corpus.mixture(), "--output", output.path],
                jobs: &jobs)
            let array = try #require(ids["ingest"]), merge = try #require(ids["merge"])
            let states = try SlurmTestCluster.waitUntilEnded([array, merge])
            let failedTasks = (0..<4).filter { states["\(array)_\($0)"] == "FAILED" }
            #expect(failedTasks.count == 1 && states[merge] == "CANCELLED", "\(states)")
            #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("packed").path))
            let text = try SlurmCorpus.moeData(["status", output.path]).stdout
            let bad = dir.appendingPathComponent("data/books/b.jsonl").path
            let line = try #require(
                text.split(separator: "\n").first { $0.hasPrefix("task \(failedTasks.first ?? -1) failed:") })
            #expect(line.contains(bad) && line.contains("5"), "\(text)")
            #expect(text.contains("merge: job \(merge) CANCELLED"), "\(text)")
        }
    }

    @Test func theTokenizerJobTrainsTheModelBuildWouldTrain() throws {
        try Self.inFolder("slurm tokenizer") { dir, jobs in
            let corpus = try SlurmCorpus.standard(in: dir)
            var text = try String(contentsOfFile: corpus.manifest, encoding: .utf8)
            text = text.replacingOccurrences(
                of: "  model: \(TestSupport.model)\n",
                with: """
                      model: out/tok/model.model
                      train: {vocab_size: 600, sample_mb: 1, shares: {web: 2, code: 1}}

                    """)
            try text.write(toFile: corpus.manifest, atomically: true, encoding: .utf8)
            let ids = try Self.submit([corpus.manifest, "--tasks", "2"], jobs: &jobs)
            let tokenizer = try #require(ids["tokenizer"]), array = try #require(ids["ingest"])
            let merge = try #require(ids["merge"])
            let states = try SlurmTestCluster.waitUntilEnded([tokenizer, array, merge])
            #expect(states.values.allSatisfy { $0 == "COMPLETED" }, "\(states)")
            let local = dir.appendingPathComponent("local")
            #expect(
                try TestSupport.moeData(["ingest", corpus.manifest, "--output", local.path, "--quiet"]).status == 0)
            let trained = try Data(contentsOf: dir.appendingPathComponent("out/tok/model.model"))
            #expect(trained == (try Data(contentsOf: local.appendingPathComponent("tok/model.model"))))
        }
    }
}
