import ArgumentParser
import Foundation
import MoeData

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the finished tasks of a partitioned ingest into the output's catalog and token index.",
        discussion: """
            After every `moe-data ingest <manifest> --task I --tasks N` has finished, merge writes \
            <output>/catalog.sqlite with every task's sources, files, skips and shards, and \
            <output>/tokens/<source>/index.json and <output>/tokens/index.json listing the tasks' shards in \
            the canonical document order (source, file, record), as a one-machine ingest lists its own. \
            It never rewrites a token shard, so it takes a small fraction of the ingest's time. \
            `moe-data build` merges by itself when it finds the tasks.

            It refuses, and names them, when tasks are missing, failed, or were made from other input.

            Examples:
              moe-data merge out/sample
              moe-data stats out/sample
            """
    )

    @Argument(help: "The output folder (the manifest's `output`).")
    var output: String

    @Flag(help: "No summary.")
    var quiet = false

    func run() throws {
        let summary = try RecordedRun.perform("merge", outputDirectory: output) { catalog in
            try IngestMerge(outputDirectory: output).run(catalog: catalog)
        }
        guard !quiet else { return }
        print(
            "merged \(summary.tasks) tasks: \(summary.sources.count) sources, \(summary.documents) documents, "
                + "\(summary.skipped) skipped, \(summary.tokens) tokens, \(summary.shards) shards in "
                + String(format: "%.2f s", summary.seconds))
        print("output: \(output)/tokens  catalog: \(output)/\(Catalog.fileName)")
    }
}
