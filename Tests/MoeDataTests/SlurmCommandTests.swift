import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeData

/// `moe-data slurm` and `moe-data status` without a running Slurm: the scripts of a dry run, their
/// quoting through a real shell, the refusals of bad options, and status from the task files alone.
@Suite struct SlurmCommandTests {
    @Test func aDryRunPrintsTheScriptsAndWritesNothing() throws {
        let dir = try TestSupport.tempDir("slurm dry run")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try SlurmCorpus.standard(in: dir)
        let output = dir.appendingPathComponent("out put")
        let r = try TestSupport.moeData([
            "slurm", corpus.manifest, "--tasks", "4", "--max-parallel", "2", "--mixture", try corpus.mixture(),
            "--total-tokens", "20000", "--output", output.path, "--cpus-per-task", "2", "--mem", "2G",
            "--time", "0:10:00", "--partition", "local", "--sbatch-arg=--comment=it's \"quoted\"", "--dry-run",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let text = r.stdout
        #expect(text.contains("plan: 4 tasks over 3 sources"))
        #expect(text.contains("#SBATCH --array=0-3%2\n"))
        #expect(text.contains("#SBATCH \"--dependency=afterok:<ingest array job id>\"\n"))
        #expect(text.contains("#SBATCH \"--output=\(output.path)/slurm/logs/%x-%A_%a.out\"\n"))
        #expect(text.contains("#SBATCH \"--chdir=\(output.path)\"\n"))
        #expect(text.contains("#SBATCH --cpus-per-task=2\n#SBATCH --mem=2G\n#SBATCH --time=0:10:00\n"))
        #expect(text.contains("#SBATCH --partition=local\n"))
        #expect(text.contains(#"#SBATCH "--comment=it's \"quoted\"""#))
        for words in ["--task \"$SLURM_ARRAY_TASK_ID\"", "--tasks 4", "--jobs 2"] {
            #expect(text.contains(words), "\(words)")
        }
        #expect(text.contains("--output '\(output.path)'"), "the output path with a space is one quoted word")
        #expect(!text.contains("tokenizer.sbatch"), "the manifest's model exists: no tokenizer job")
        #expect(text.contains("merge '\(output.path)'") && text.contains("--total-tokens 20000"))
        #expect(text.contains("dry run: nothing written, nothing submitted"))
        #expect(!FileManager.default.fileExists(atPath: output.path), "a dry run wrote into \(output.path)")
    }

    @Test func aDryRunWithoutSlurmPlansFromTheFilesAndSaysSo() throws {
        let dir = try TestSupport.tempDir("slurm dry run without slurm")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try SlurmCorpus.standard(in: dir)
        let output = dir.appendingPathComponent("out")
        let earlier = SlurmRecord.Submission(
            time: "2026-12-06T00:00:00Z", partition: "0123", tasks: [0, 1], array: "0-1", arrayJob: "7",
            mergeJob: "8", tokenizerJob: nil, jobName: "moe-data-test")
        try SlurmRecord(submissions: [earlier]).save(to: try Catalog(outputDirectory: output.path))
        let r = try TestSupport.moeData(
            ["slurm", corpus.manifest, "--tasks", "2", "--output", output.path, "--dry-run"],
            environment: ["PATH": "/nonexistent"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("note: Slurm's commands are not on PATH; planned as if none"), "\(r.stdout)")
        #expect(r.stdout.contains("#SBATCH --array=0-1\n"))
        let submit = try TestSupport.moeData(
            ["slurm", corpus.manifest, "--tasks", "2", "--output", output.path], environment: ["PATH": "/nonexistent"])
        #expect(submit.status == 1 && submit.stderr.contains("sbatch and squeue are not on PATH"), "\(submit.stderr)")
    }

    @Test func quotedWordsReachACommandUnchanged() throws {
        let words = [
            "plain", "with space", "it's", "\"double\"", "$HOME", "back\\slash", "`date`", "a*b?", "", "~x",
            "tab\there", "line\nbreak", "NAME=value", "-n",
        ]
        let line = ShellQuote.lines(quoted: ["printf", "'[%s]\\n'"] + words.map(ShellQuote.word), width: 30)
        let r = try TestSupport.run("/bin/sh", ["-c", line])
        #expect(r.stdout == words.map { "[\($0)]\n" }.joined(), "\(line)")
        #expect(ShellQuote.sbatchArgument("a\nb") == nil)
        #expect(ShellQuote.sbatchArgument("--x=a b#c\\d\"e") == #""--x=a b#c\\d\"e""#)
        #expect(ShellQuote.sbatchArgument("--array=0-3%2") == "--array=0-3%2")
    }

    @Test func badOptionsAreRefusedWithUsageErrors() throws {
        let dir = try TestSupport.tempDir("slurm usage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try SlurmCorpus.standard(in: dir)
        for (args, words) in [
            ([], "--tasks N is missing"), (["--tasks", "0"], "--tasks 0"),
            (["--tasks", "2", "--max-parallel", "0"], "--max-parallel 0"),
            (["--tasks", "2", "--cpus-per-task", "0"], "--cpus-per-task 0"),
            (["--tasks", "2", "--total-tokens", "2M"], "give --mixture too"),
            (["--tasks", "2", "--sbatch-arg", "account=x"], "--sbatch-arg 'account=x'"),
            (["--tasks", "2", "--mem", "4 G"], "--mem '4 G'"),
            (["--tasks", "2", "--mixture", "openmoe-8b", "--total-tokens", "-1"], "--total-tokens"),
            (["--tasks", "2", "--mixture", "openmoe-8b", "--max-epochs", "0"], "--max-epochs 0 must be between"),
        ] {
            let r = try TestSupport.moeData(["slurm", corpus.manifest] + args + ["--dry-run"])
            #expect(r.status == 64, "\(args): exit \(r.status)")
            #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains(words), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("CommandError"), "\(args): \(r.stderr)")
        }
        let unknown = try TestSupport.moeData([
            "slurm", corpus.manifest, "--tasks", "2", "--mixture", "nope", "--dry-run",
        ])
        #expect(unknown.status != 0 && unknown.stderr.contains("nope"), "\(unknown.stderr)")
    }

    /// Writes a task catalog as `moe-data ingest --task` does, with attempts at given times.
    static func taskCatalog(
        _ output: URL, task: Int, kv: [String: String], runs: [(String, String?, String)]
    ) throws {
        let files = IngestTaskFiles(outputDirectory: output.path)
        try FileManager.default.createDirectory(atPath: files.directory, withIntermediateDirectories: true)
        let catalog = try Catalog(path: files.catalogPath(task))
        for (k, v) in kv { try catalog.setValue(k, v) }
        for (started, ended, status) in runs {
            try catalog.db.run(
                "INSERT INTO runs(command, arguments, version, libraries, started_at, ended_at, status) "
                    + "VALUES('ingest', '[]', '0', '', ?, ?, ?)",
                [.text(started), ended.map { .text($0) }, .text(status)])
        }
    }

    @Test func statusReadsTheTaskFilesWithoutSlurm() throws {
        let output = try TestSupport.tempDir("status")
        defer { try? FileManager.default.removeItem(at: output) }
        let p = "abcdef0123456789"
        func kv(_ task: Int, bytes: Int, progress: String?, error: String? = nil) -> [String: String] {
            var kv = ["task.index": "\(task)", "task.count": "4", "task.partition": p, "task.bytes": "\(bytes)"]
            kv["task.progress"] = progress
            kv["task.error"] = error
            return kv
        }
        try SlurmCommandTests.taskCatalog(
            output, task: 0, kv: kv(0, bytes: 1000, progress: nil),
            runs: [("2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z", "done")])
        let done = IngestTaskDone(
            task: 0, tasks: 4, partition: p, documents: 50, tokens: 5000, skipped: 1, bytes: 1000, seconds: 10)
        try done.write(path: IngestTaskFiles(outputDirectory: output.path).donePath(0))
        let progress = #"{"documents": 20, "tokens": 2000, "skipped": 0, "bytes": 400}"#
        let now = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-4))
        try SlurmCommandTests.taskCatalog(
            output, task: 1, kv: kv(1, bytes: 1000, progress: progress),
            runs: [(now, nil, "running")])
        try SlurmCommandTests.taskCatalog(
            output, task: 2,
            kv: kv(
                2, bytes: 1000, progress: progress,
                error: "/data/b.jsonl: line 5: not JSON"),
            runs: [
                (
                    "2026-12-06T10:00:00Z", "2026-12-06T10:00:02Z",
                    "failed: /data/b.jsonl: line 5: not JSON"
                )
            ])
        let r = try TestSupport.moeData(["status", output.path])
        #expect(r.status == 0, "\(r.stderr)")
        var rows: [Int: [Substring]] = [:]
        for line in r.stdout.split(separator: "\n") {
            let cells = line.split(separator: " ")
            if cells.count >= 2, let task = Int(cells[0]) { rows[task] = cells }
        }
        #expect(rows[0]?[1] == "done" && rows[0]?[2] == "50" && rows[0]?[3] == "5000" && rows[0]?[4] == "500")
        #expect(rows[1]?[1] == "running" && rows[1]?[3] == "2000" && rows[1]?[5] == "40%")
        #expect(rows[2]?[1] == "failed" && rows[3]?[1] == "not")
        #expect(r.stdout.contains("task 2 failed: /data/b.jsonl: line 5: not JSON"))
        #expect(r.stdout.contains("total: 1/4 done, 1 running, 1 failed, 1 not started"))
        let json = try JSONValue.parse(try TestSupport.moeData(["status", output.path, "--json"]).stdoutData)
        #expect(json["tasks_total"]?.intValue == 4 && json["slurm_asked"] == .bool(false))
        // Task 3 has no catalog yet: its share is unknown; the total counts the three known ones.
        #expect(json["total"]?["bytes_total"]?.intValue == 3000 && json["total"]?["bytes_read"]?.intValue == 1800)
        #expect(json["tasks"]?.arrayValue?[2]["error"]?.stringValue == "/data/b.jsonl: line 5: not JSON")
        // 1800 bytes read in 16 s of work, 1 task running: about 11 s for the 1200 bytes left.
        let left = json["total"]?["seconds_left"]
        #expect(left != nil && left != .null, "\(String(describing: left))")
    }

    @Test func statusOfAFolderWithoutTasksSaysWhatToRun() throws {
        let output = try TestSupport.tempDir("status-empty")
        defer { try? FileManager.default.removeItem(at: output) }
        let r = try TestSupport.moeData(["status", output.path])
        #expect(r.status == 1 && r.stderr.contains("moe-data slurm <manifest> --tasks N"), "\(r.stderr)")
    }
}
