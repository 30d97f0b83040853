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

            Examples:
              moe-data ingest manifests/sample.yaml --jobs 2
              moe-data ingest manifests/sample.yaml --output runs/sample-tokens
              moe-data stats out/sample
            """
    )

    @Argument(help: "The manifest (YAML).")
    var manifest: String

    @OptionGroup var outputOption: OutputOption

    @OptionGroup var common: CommonOptions

    @Flag(help: "Forget earlier work on these sources and start again.")
    var restart = false

    func run() throws {
        let m = try outputOption.manifest(manifest)
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
}
