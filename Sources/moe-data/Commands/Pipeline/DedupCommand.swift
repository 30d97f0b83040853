import ArgumentParser
import Foundation
import MoeData

struct DedupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract:
            "Remove exact and near duplicates and contaminated documents of an ingested output, as `dedup:` asks.",
        discussion: """
            The stage between ingest and mix (`build` runs it by itself when the manifest has a dedup: section). \
            Each document's text is read again from the sources and normalized; exact copies share a SHA-256, near \
            copies are found with MinHash and LSH (FineWeb's word 5-grams, 112 permutations in 14 bands of 8; \
            near: {shingles: tokens} signs token-id 7-grams of the shards instead, reading no text), and \
            documents sharing a 13-word n-gram with an evaluation file are removed or counted. Of each group of \
            copies, the document of the first source in keep:, then the first in canonical order, survives. Every \
            removal is recorded in the catalog with the surviving source and doc_id; `stats` shows the matrix, \
            `inspect --doc` one document, and the mixer skips removed documents. The result does not depend on \
            --jobs; a killed run resumes after the sources it finished. With --task I --tasks N it runs \
            only the first pass of the I-th of N ranges of every source's documents (on any host sharing the \
            output); a plain run then joins the tasks and clusters, with the removals of one process.

            Examples:
              moe-data ingest manifests/sample-dedup.yaml --output out/sample-dedup
              moe-data dedup manifests/sample-dedup.yaml --jobs 2
              moe-data dedup manifests/sample-dedup.yaml --task 0 --tasks 3
              moe-data stats out/sample-dedup
            """
    )

    @Argument(help: "The manifest (YAML) with a dedup: section; its sources must be ingested.")
    var manifest: String

    @OptionGroup var outputOption: OutputOption

    @OptionGroup var jobs: JobsOption<DedupJobs>

    /// A task of a split first pass, as `ingest --task I --tasks N` (nil: the whole stage).
    @Option(help: ArgumentHelp("Run only this task (from 0) of a split first pass; needs --tasks.", valueName: "I"))
    var task: Int?
    @Option(help: ArgumentHelp("The number of tasks the first pass is split into.", valueName: "N"))
    var tasks: Int?

    @Flag(help: "No progress and no summary.")
    var quiet = false

    /// Both task options or neither, and a task that exists.
    func validate() throws {
        guard (task == nil) == (tasks == nil) else { throw ValidationError("--task and --tasks go together") }
        if let task, let tasks { _ = try DedupTask(index: task, count: tasks) }
    }

    func run() throws {
        let m = try outputOption.manifest(manifest)
        var options = Dedup.Options()
        options.jobs = jobs.count
        options.quiet = quiet
        let dedup = try Dedup(manifest: m, options: options)
        if let task, let tasks {
            // A task reads the output's catalog and writes only its own folder, as an ingest task does.
            let catalog = try Catalog(
                path: (m.output as NSString).appendingPathComponent(Catalog.fileName), readOnly: true)
            let text = try dedup.runTask(try DedupTask(index: task, count: tasks), catalog: catalog)
            if !quiet { print(text, terminator: "") }
            return
        }
        try RecordedRun.perform("dedup", outputDirectory: m.output) { catalog in
            for source in m.sources where try catalog.sourceState(source.name)?.status != "done" {
                throw MoeDataError(
                    "source '\(source.name)' is not ingested in \(m.output); run `moe-data ingest \(manifest)` first")
            }
            let report = try dedup.run(catalog: catalog)
            if !quiet { print(report.upToDate ? "dedup: up to date\n" + report.text : report.text, terminator: "") }
        }
    }
}
