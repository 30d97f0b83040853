import ArgumentParser
import Foundation
import MoeData

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: """
            Print a mixture's plan before building: per phase and source, target and available tokens, epochs \
            needed, domain shares.
            """,
        discussion: """
            Available tokens come from the catalog for sources already ingested (exact). Before ingest they are \
            estimated (marked ~): the inputs' uncompressed size (recorded in zstd and gzip files, else from the \
            compression ratio of a file's head) divided by the bytes per token measured by tokenizing ~1 MiB of the \
            source with the manifest's model (4 bytes assumed while there is no model yet). A source that would run \
            out before its budget, beyond its max_epochs, is reported with the largest --total-tokens that fits.

            Example:
              moe-data plan manifests/sample.yaml --mixture openmoe-8b --total-tokens 2M
            """
    )

    @Argument(help: "The manifest (YAML).")
    var manifest: String

    @OptionGroup var mixtureOptions: MixtureOptions

    @OptionGroup var outputOption: OutputOption

    func run() throws {
        let m = try outputOption.manifest(manifest)
        let mix = try mixtureOptions.load()
        // The same checks `build` makes before writing anything; UL2's lengths need the tokenizer.
        let modelExists = FileManager.default.fileExists(atPath: m.tokenizer.model)
        let tokenizer =
            modelExists
            ? try Tokenizer(modelPath: m.tokenizer.model, sentinels: m.tokenizer.sentinels, eos: m.tokenizer.eosChoice)
            : nil
        try mix.validateForBuild(
            knownSources: Set(m.sources.map(\.name)), tokenizer: tokenizer, sentinels: m.tokenizer.sentinels)
        var available: [String: Int] = [:]
        var estimates: [String: SourceSizeEstimate] = [:]
        let catalogPath = (m.output as NSString).appendingPathComponent(Catalog.fileName)
        let catalog = FileManager.default.fileExists(atPath: catalogPath) ? try Catalog(outputDirectory: m.output) : nil
        // After a dedup stage, what the mixer can read: the ingested tokens less the removed ones.
        let removed = m.dedup == nil ? [:] : try catalog?.removedTokens() ?? [:]
        for s in m.sources {
            if let state = try catalog?.sourceState(s.name), state.status == "done" {
                available[s.name] = (state.cursor?.totals.tokens ?? 0) - (removed[s.name] ?? 0)
            } else {
                let e = SourceSizeEstimate.estimate(s, tokenizer: tokenizer, maxDocumentBytes: m.maxDocumentBytes)
                available[s.name] = e.tokens
                estimates[s.name] = e
            }
        }
        let domains = Dictionary(m.sources.map { ($0.name, $0.domain) }, uniquingKeysWith: { a, _ in a })
        let plan = try MixturePlan(mixture: mix, available: available, domains: domains)
        print(plan.render(estimated: Set(estimates.keys)))
        if !removed.isEmpty {
            print("available after dedup: " + m.sources.map { "\($0.name) -\(removed[$0.name] ?? 0)" }
                .joined(separator: ", ") + " tokens removed")
        }
        if !modelExists && mix.phases.contains(where: { $0.objective.type == .ul2 }) {
            print(
                "note: \(m.tokenizer.model) does not exist yet; "
                    + "UL2 lengths with its mode prefixes are checked once it does")
        }
        if !estimates.isEmpty {
            print("~ estimated, not ingested yet (uncompressed bytes / bytes per token):")
            for s in m.sources {
                if let e = estimates[s.name] {
                    let perToken =
                        e.measured
                        ? String(format: "%.2f bytes per token (measured on ~1 MiB with the model)", e.bytesPerToken)
                        : "4 bytes assumed per token (no tokenizer model yet)"
                    print("  \(s.name): \(formatBytes(e.uncompressedBytes)) / \(perToken)")
                }
            }
        }
        if !plan.problems.isEmpty {
            throw MoeDataError(plan.failureMessage())
        }
    }
}
