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
            copies are found with MinHash and LSH (FineWeb's word 5-grams, 112 permutations in 14 bands of 8), and \
            documents sharing a 13-word n-gram with an evaluation file are removed or counted. Of each group of \
            copies, the document of the first source in keep:, then the first in canonical order, survives. Every \
            removal is recorded in the catalog with the surviving source and doc_id; `stats` shows the matrix, \
            `inspect --doc` one document, and the mixer skips removed documents. The result does not depend on \
            --jobs; a killed run resumes after the sources it finished.

            Examples:
              moe-data ingest manifests/sample-dedup.yaml --output out/sample-dedup
              moe-data dedup manifests/sample-dedup.yaml --output out/sample-dedup --jobs 2
              moe-data stats out/sample-dedup
            """
    )

    @Argument(help: "The manifest (YAML) with a dedup: section; its sources must be ingested.")
    var manifest: String

    @OptionGroup var outputOption: OutputOption

    @OptionGroup var jobs: JobsOption<DedupJobs>

    @Flag(help: "No progress and no summary.")
    var quiet = false

    func run() throws {
        let m = try outputOption.manifest(manifest)
        var options = Dedup.Options()
        options.jobs = jobs.count
        options.quiet = quiet
        let dedup = try Dedup(manifest: m, options: options)
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
