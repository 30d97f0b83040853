import ArgumentParser
import Foundation
import MoeData

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print a mixture's plan before building: per phase and source, target and available tokens, epochs needed, domain shares.",
        discussion: """
        Available tokens come from the catalog for sources already ingested (exact), and otherwise are estimated
        from the input files' sizes at 4 bytes a token (marked "estimated"). A source that would run out before its
        budget, beyond its max_epochs, is reported with the number of tokens missing.

        Example:
          moe-data plan manifests/sample.yaml --mixture openmoe-8b --total-tokens 2M
        """
    )

    @Argument(help: "The manifest (YAML).")
    var manifest: String

    @OptionGroup var mixtureOptions: MixtureOptions



    func run() throws {
        try runReportingErrors {
            let m = try Manifest.load(path: manifest)
            let mix = try mixtureOptions.load()
            // The same checks `build` makes before writing anything; UL2's lengths need the tokenizer.
            let modelExists = FileManager.default.fileExists(atPath: m.tokenizer.model)
            let tokenizer = modelExists
                ? try Tokenizer(modelPath: m.tokenizer.model, sentinelCount: m.tokenizer.sentinels) : nil
            try mix.validateForBuild(knownSources: Set(m.sources.map(\.name)), tokenizer: tokenizer)
            var available: [String: Int] = [:]
            var estimated: [String] = []
            let catalogPath = (m.output as NSString).appendingPathComponent(Catalog.fileName)
            let catalog = FileManager.default.fileExists(atPath: catalogPath) ? try Catalog(outputDirectory: m.output) : nil
            for s in m.sources {
                if let state = try catalog?.sourceState(s.name), state.status == "done" {
                    available[s.name] = state.cursor?.totals.tokens ?? 0
                } else {
                    available[s.name] = InputFiles.list(s).files.reduce(0) { $0 + $1.size } / 4
                    estimated.append(s.name)
                }
            }
            let domains = Dictionary(m.sources.map { ($0.name, $0.domain) }, uniquingKeysWith: { a, _ in a })
            let plan = try MixturePlan(mixture: mix, available: available, domains: domains)
            print(plan.render())
            if !modelExists && mix.phases.contains(where: { $0.objective.type == .ul2 }) {
                print("note: \(m.tokenizer.model) does not exist yet; "
                    + "UL2 lengths with its mode prefixes are checked once it does")
            }
            if !estimated.isEmpty {
                print("estimated (not ingested yet, 4 bytes a token): \(estimated.joined(separator: ", "))")
            }
            if !plan.problems.isEmpty {
                FileHandle.standardError.write(Data(("error: the mixture cannot be built from these sources:\n" + plan.problems.joined(separator: "\n") + "\n").utf8))
                throw ExitCode(1)
            }
        }
    }
}
