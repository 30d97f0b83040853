import ArgumentParser
import Foundation
import MDS
import MoeData

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show what an output folder's catalog records: per source files, documents, skips, tokens, bytes.",
        discussion: """
            Documents read = documents written + documents skipped, for every source. Skipped records and files are \
            listed by reason with a first example (file, line or byte offset). After `moe-data build`, the mixture's \
            realized vs target shares per phase and the packing figures are shown too.

            Examples:
              moe-data stats out/sample
              moe-data stats out/sample --json | python3 -m json.tool
            """
    )

    @OptionGroup var report: ReportOptions

    func run() throws {
        let catalog = try Catalog.openExisting(outputDirectory: report.output)
        let stats = try CatalogStats.load(catalog)
        report.emit(text: stats.render, document: { stats.json })
    }
}
