import ArgumentParser
import Foundation
import MoeData

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read a manifest's sources and write zstd-compressed MDS token shards and a SQLite catalog.",
        discussion: """
            Every source is read as a stream (JSONL, JSONL.zst, JSONL.gz, text files, code trees), tokenized with the \
            manifest's SentencePiece model on --jobs threads, and written to <output>/tokens/<source>/ as MDS shards \
            that mosaicml-streaming reads. The output is byte-identical whatever --jobs is.

            Kill it at any moment and run the same command again: it resumes after the last shard written, and the \
            result is byte-identical to an uninterrupted run. Sources already done are reused.

            With --task I --tasks N, it runs task I (from 0) of a partitioned ingest: the input is cut \
            into N byte-balanced parts that depend only on the manifest and N (plain JSONL files split at \
            any line, multi-frame .zst files at frame starts, other files whole). Each task writes its \
            own shards (<output>/tokens/<source>/task-NNNNN/) and catalog (<output>/tasks/), so tasks run \
            on many machines over a shared filesystem; a finished task is skipped when run again. Then \
            `moe-data merge <output>` (or `build`) joins them; `moe-data slurm` does all of it on Slurm. \
            The tokenizer model must exist before tasks start.

            Examples:
              moe-data ingest manifests/sample.yaml --jobs 2
              moe-data ingest manifests/sample.yaml --output runs/sample-tokens
              moe-data ingest manifests/sample.yaml --task 0 --tasks 4 --jobs 1
              moe-data stats out/sample
            """
    )

    @Argument(help: "The manifest (YAML).")
    var manifest: String

    @OptionGroup var outputOption: OutputOption

    @OptionGroup var common: CommonOptions

    @Flag(help: "Forget earlier work on these sources and start again.")
    var restart = false

    @Option(help: ArgumentHelp("Run only this task (from 0) of a partitioned ingest; needs --tasks.", valueName: "I"))
    var task: Int?

    @Option(help: ArgumentHelp("The number of tasks the input is partitioned into.", valueName: "N"))
    var tasks: Int?

    func validate() throws {
        switch (task, tasks) {
        case (nil, nil): return
        case (.some, nil): throw ValidationError("--task needs --tasks N (the number of tasks)")
        case (nil, .some): throw ValidationError("--tasks needs --task I (which task to run, from 0)")
        case (.some(let i), .some(let n)):
            guard n >= 1 else { throw ValidationError("--tasks must be at least 1, not \(n)") }
            guard (0..<n).contains(i) else {
                throw ValidationError("--task must be from 0 to \(n - 1) for --tasks \(n), not \(i)")
            }
        }
    }

    func run() throws {
        let m = try outputOption.manifest(manifest)
        if let task, let tasks {
            try runTask(m, index: task, count: tasks)
            return
        }
        try RecordedRun.perform("ingest", outputDirectory: m.output) { catalog in
            let tokenizer = try common.tokenizer(for: m)
            let options = common.ingestOptions(restart: restart)
            let progress = ProgressLine(quiet: common.quiet)
            let summaries = try Ingest(manifest: m, options: options)
                .run(catalog: catalog, tokenizer: tokenizer, progress: progress)
            progress.finish()
            if !common.quiet {
                for s in summaries {
                    print(
                        "\(s.name): \(s.totals.documents) documents, \(s.totals.skipped) skipped, "
                            + "\(s.totals.tokens) tokens, \(s.shards) shards\(s.reused ? " (up to date)" : "")")
                }
                print("output: \(m.output)/tokens  catalog: \(catalog.path)")
            }
        }
    }

    /// One task of a partitioned ingest: its own lock and catalog, never the output folder's.
    func runTask(_ m: Manifest, index: Int, count: Int) throws {
        guard FileManager.default.fileExists(atPath: m.tokenizer.model) else {
            throw MoeDataError(
                "\(m.path): tokenizer.model: \(m.tokenizer.model) does not exist; the tasks of a partitioned "
                    + "ingest need it before they start (train it once with `moe-data tokenizer train`, or let "
                    + "`moe-data slurm` submit the job that trains it)")
        }
        let task = try IngestTask(index: index, partition: try IngestPartition(manifest: m, taskCount: count))
        let progress = ProgressLine(quiet: common.quiet)
        let outcome = try IngestTaskRun(manifest: m, options: common.ingestOptions(restart: restart), task: task)
            .run(tokenizer: { try common.tokenizer(for: m) }, progress: progress)
        progress.finish()
        guard !common.quiet else { return }
        switch outcome {
        case .alreadyDone(let done):
            print(
                "\(task.name) of \(count): done already (\(done.documents) documents, \(done.tokens) tokens); "
                    + "nothing to do")
        case .ran(_, let done):
            print(
                "\(task.name) of \(count): \(done.documents) documents, \(done.skipped) skipped, \(done.tokens) "
                    + "tokens from \(done.bytes) bytes in \(String(format: "%.1f", done.seconds)) s")
        }
    }
}
