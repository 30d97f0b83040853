import Foundation
import JSON
import MDS
import MoeTestSupport
import Testing

@testable import MoeData

/// `moe-data slurm --build-slices K` on the real one-node Slurm (scripts/slurm-local): the ingest
/// array, the merge job, the slice array and the build job run in that order, and the rows are a
/// one-process build's, row by row.
@Suite(.serialized, .disabled(if: SlurmTestCluster.skipped, SlurmTestCluster.skipNote))
struct SlurmSliceJobTests {
    @Test func slicesRunAsAnArrayAfterTheMergeAndGiveTheRowsOfOneProcess() throws {
        try SlurmJobTests.inFolder("slurm slices") { dir, jobs in
            let corpus = try SlurmCorpus.standard(in: dir)
            let mixture = try corpus.mixture(seqLen: 512)
            let output = dir.appendingPathComponent("on slurm")
            let ids = try SlurmJobTests.submit(
                [
                    corpus.manifest, "--tasks", "2", "--mixture", mixture, "--build-slices", "3",
                    "--output", output.path,
                ], jobs: &jobs)
            let array = try #require(ids["ingest"]), merge = try #require(ids["merge"])
            let slices = try #require(ids["slices"]), build = try #require(ids["build"])
            let chain = [array, merge, slices, build]
            let states = try SlurmTestCluster.waitUntilEnded(chain)
            let expected = ["\(array)_0", "\(array)_1", merge, "\(slices)_0", "\(slices)_1", "\(slices)_2", build]
            #expect(states == Dictionary(uniqueKeysWithValues: expected.map { ($0, "COMPLETED") }), "\(states)")
            try Self.expectDependencies(output: output, merge: merge, slices: slices, build: build)
            try Self.expectRunInOrder([[array], [merge], [slices], [build]])

            // The rows: a one-process build's, row by row; each slice's shards are there.
            let rows = try Self.localRows(corpus, mixture: mixture, into: dir.appendingPathComponent("local"))
            let packed = output.appendingPathComponent("packed")
            let merged = try TestSupport.samples(packed)
            #expect(rows.count >= 6 && merged.count == rows.count, "\(merged.count) rows, one process \(rows.count)")
            let first = merged.indices.first { $0 < rows.count && merged[$0] != rows[$0] }
            #expect(first == nil, "row \(first ?? -1) differs from the one-process build")
            let names = try MDSIndex.read(from: packed).shards.map(\.rawBasename)
            #expect(Set(names.map { $0.prefix(11) }) == ["slice-00000", "slice-00001", "slice-00002"], "\(names)")
            #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("slices").path))

            let status = try SlurmJobTests.status(output)
            let sliceStates = (status["slices"]?.arrayValue ?? []).map { $0["state"]?.stringValue ?? "?" }
            #expect(sliceStates == ["done", "done", "done"], "\(status["slices"] ?? .null)")
            let text = try SlurmCorpus.moeData(["status", output.path]).stdout
            #expect(text.contains("build slices: 3/3 done"), "\(text)")
            #expect(text.contains("build: job \(build) COMPLETED"), "\(text)")
        }
    }

    @Test func failedSlicesAreSubmittedAgainAndResume() throws {
        try SlurmJobTests.inFolder("slurm slice failed") { dir, jobs in
            let corpus = try SlurmCorpus.standard(in: dir)
            let mixture = try corpus.mixture(seqLen: 512)
            let output = dir.appendingPathComponent("out")
            let args = [
                corpus.manifest, "--tasks", "2", "--mixture", mixture, "--build-slices", "2", "--output", output.path,
            ]
            // Every slice dies after its first committed shard; the build job can then never start.
            let first = try SlurmJobTests.submit(
                args, extra: ["MOE_DATA_FAULT": "build.shard.committed:1"], jobs: &jobs)
            let slices = try #require(first["slices"]), build = try #require(first["build"])
            let ended = try SlurmTestCluster.waitUntilEnded(
                [try #require(first["ingest"]), try #require(first["merge"]), slices])
            #expect(ended["\(slices)_0"] == "FAILED" && ended["\(slices)_1"] == "FAILED", "\(ended)")
            let status = try SlurmJobTests.status(output)
            let sliceStates = (status["slices"]?.arrayValue ?? []).map { $0["state"]?.stringValue ?? "?" }
            #expect(sliceStates == ["failed", "failed"], "\(status["slices"] ?? .null)")
            let text = try SlurmCorpus.moeData(["status", output.path]).stdout
            #expect(text.contains("slice 1 failed: Slurm: FAILED"), "\(text)")
            #expect(text.contains("moe-data-test-slice-\(slices)_1.out"), "\(text)")

            // The rerun: no task to ingest; a new merge job, slice array and build job; the old build job cancelled.
            let second = try SlurmJobTests.submit(args, jobs: &jobs)
            #expect(second["ingest"] == nil, "\(second)")
            let slices2 = try #require(second["slices"])
            let chain = [try #require(second["merge"]), slices2, try #require(second["build"])]
            let states = try SlurmTestCluster.waitUntilEnded(chain)
            #expect(states.count == 4 && states.values.allSatisfy { $0 == "COMPLETED" }, "\(states)")
            #expect(try SlurmTestCluster.states([build])[build] == "CANCELLED")
            let logs = try (0..<2).map { slice in
                try String(
                    contentsOfFile: SlurmScripts.logPath(
                        output: output.path, jobName: "moe-data-test", stage: "slice", arrayJob: slices2, task: slice),
                    encoding: .utf8)
            }
            #expect(logs.contains { $0.contains("resumed an interrupted slice after") }, "\(logs)")

            let rows = try Self.localRows(corpus, mixture: mixture, into: dir.appendingPathComponent("local"))
            #expect(try TestSupport.samples(output.appendingPathComponent("packed")) == rows)
        }
    }

    /// Rows of a local one-process build of the same corpus and mixture into `folder`: the reference.
    static func localRows(_ corpus: SlurmCorpus, mixture: String, into folder: URL) throws -> [[String: MDSValue]] {
        let r = try TestSupport.moeData([
            "build", corpus.manifest, "--mixture", mixture, "--output", folder.path, "--quiet",
        ])
        #expect(r.status == 0, "local build: \(r.stderr)")
        return try TestSupport.samples(folder.appendingPathComponent("packed"))
    }

    /// The recorded submission names the chain, and each script waits (afterok) for the one before.
    static func expectDependencies(output: URL, merge: String, slices: String, build: String) throws {
        let submission = try #require(try SlurmRecord.load(output: output.path).submissions.last)
        #expect(
            submission.mergeJob == merge && submission.sliceArrayJob == slices && submission.buildJob == build
                && submission.sliceCount == 3 && submission.slices == [0, 1, 2], "\(submission)")
        let folder = output.appendingPathComponent("slurm")
        let slice = try String(contentsOf: folder.appendingPathComponent("slice.sbatch"), encoding: .utf8)
            .replacingOccurrences(of: " \\\n    ", with: " ")
        #expect(slice.contains("#SBATCH --dependency=afterok:\(merge)\n") && slice.contains("#SBATCH --array=0-2\n"))
        #expect(slice.contains("--slices 3 --slice \"$SLURM_ARRAY_TASK_ID\""), "\(slice)")
        let last = try String(contentsOf: folder.appendingPathComponent("build.sbatch"), encoding: .utf8)
        #expect(last.contains("#SBATCH --dependency=afterok:\(slices)\n") && !last.contains("--slice"), "\(last)")
        let first = try String(contentsOf: folder.appendingPathComponent("merge.sbatch"), encoding: .utf8)
        #expect(!first.contains(" build "), "the merge job of a sliced build only merges: \(first)")
    }

    /// Slurm's start and end times: every job of a stage started once every job of the stage before had ended.
    static func expectRunInOrder(_ stages: [[String]]) throws {
        let r = try SlurmTestCluster.client(
            "squeue", ["-h", "-r", "-t", "all", "-j", stages.joined().joined(separator: ","), "-o", "%F|%S|%e"])
        var times: [String: (start: String, end: String)] = [:]
        for line in r.stdout.split(separator: "\n") {
            let f = line.split(separator: "|").map(String.init)
            guard f.count == 3 else { continue }
            let known = times[f[0]]
            times[f[0]] = (min(known?.start ?? f[1], f[1]), max(known?.end ?? f[2], f[2]))
        }
        for (before, after) in zip(stages, stages.dropFirst()) {
            let ends = before.compactMap { times[$0]?.end }, starts = after.compactMap { times[$0]?.start }
            let ended = try #require(ends.max(), "\(r.stdout)")
            let started = try #require(starts.min(), "\(r.stdout)")
            #expect(ended <= started, "\(after) started at \(started), before \(before) ended at \(ended)")
        }
    }
}
