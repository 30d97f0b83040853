import ArgumentParser
import Foundation
import MoeData

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Run the whole recipe: ingest, mix on a schedule, UL2/causal objectives, pack into training rows.",
        discussion: """
            Ingests the manifest's sources (reusing what is already ingested; training the tokenizer first when the \
            manifest says how and the model does not exist), checks the mixture's plan, then streams the mixture: \
            each phase's exact source-token proportions, its objective (OpenMoE's UL2 mixture of denoisers, or causal \
            LM with EOS after each document), packed next-fit into rows of the phase's length. Rows go to \
            <output>/packed/ as MDS shards that `moe-data train` and mosaicml-streaming read.

            The same manifest, mixture and seed give byte-identical rows whatever --jobs is; a killed build resumes \
            after its last shard and writes the same bytes.

            Examples (the README's main command; the same into another folder):
              moe-data build manifests/sample.yaml --mixture openmoe-8b --total-tokens 2M
              moe-data build manifests/sample.yaml --mixture openmoe-8b --total-tokens 2M \\
                --output runs/sample --seed 1
            """
    )

    @Argument(help: "The manifest (YAML).")
    var manifest: String

    @OptionGroup var mixtureOptions: MixtureOptions

    @OptionGroup var outputOption: OutputOption

    @Option(
        help: ArgumentHelp(
            "Seed of every shuffle and random choice (default: the mixture's seed, else 0), and of the "
                + "tokenizer's training sample when the build trains it (default 0)."))
    var seed: UInt64?

    @OptionGroup var common: CommonOptions

    @Flag(help: "Forget earlier work (ingest and build) and start again.")
    var restart = false

    @Option(
        help: ArgumentHelp(
            "Cut the rows into this many slices that separate processes build (with --slice); a later "
                + "`moe-data build` without --slice merges them into packed/.",
            valueName: "k"))
    var slices: Int?

    @Option(
        help: ArgumentHelp(
            "Build only this slice (0 to k-1) of --slices k, after the ingest; it writes <output>/slices/ "
                + "only, so slices run at once, on any hosts that share the output folder.",
            valueName: "i"))
    var slice: Int?

    func validate() throws {
        if (slices == nil) != (slice == nil) {
            throw ValidationError("--slices and --slice go together: --slices k --slice i builds slice i of k")
        }
    }

    func run() throws {
        let m = try outputOption.manifest(manifest)
        let mix = try mixtureOptions.load().overridingSeed(seed)
        // Refuse a mixture before the lock, the catalog or anything else is written; the
        // tokenizer-dependent checks run again in Build.run, once the tokenizer is loaded (or trained).
        try mix.validateForBuild(
            knownSources: Set(m.sources.map(\.name)), tokenizer: nil, sentinels: m.tokenizer.sentinels)
        if let slices, let slice {
            try runSlice(slice, of: slices, manifest: m, mixture: mix)
            return
        }
        try RecordedRun.perform("build", outputDirectory: m.output) { catalog in
            var options = Build.Options()
            if common.jobs.count > 1 && !restart {
                // The first token shards decode on another core while this one loads the tokenizer.
                options.openedSources = OpenedSources(
                    mixture: mix, tokensDirectory: URL(fileURLWithPath: m.output).appendingPathComponent("tokens"))
            }
            let tokenizer = try common.tokenizer(for: m, seed: seed)
            options.ingest = common.ingestOptions(restart: restart)
            options.restart = restart
            let progress = ProgressLine(quiet: common.quiet)
            let build = Build(manifest: m, mixture: mix, options: options)
            let summary = try build.run(catalog: catalog, tokenizer: tokenizer, progress: progress)
            if !common.quiet {
                let stats = try CatalogStats.load(catalog)
                print(stats.sections["mixture"]?["text"]?.stringValue ?? "")
                if let resumed = summary.resumedAfterRows {
                    print("resumed an interrupted build after \(resumed) rows")
                }
                print("\(summary.rows) rows in \(summary.packedDirectory)\(summary.upToDate ? " (up to date)" : "")")
            }
        }
    }

    func runSlice(_ index: Int, of count: Int, manifest m: Manifest, mixture mix: Mixture) throws {
        var options = Build.Options()
        // A slice reads the ingest and never redoes it: --restart restarts the slice alone.
        options.ingest = common.ingestOptions(restart: false)
        options.restart = restart
        let build = Build(manifest: m, mixture: mix, options: options)
        let slice = try BuildSlice(build: build, index: index, count: count)
        let outcome = try slice.run(tokenizer: try common.tokenizer(for: m, seed: seed))
        guard !common.quiet else { return }
        let name = "slice \(index) of \(count)"
        switch outcome {
        case .upToDate(let rows):
            print("\(name): \(rows) rows (up to date)")
        case .built(let rows, let resumed, let tokens, let seconds):
            if let resumed { print("\(name): resumed an interrupted slice after \(resumed) rows") }
            if tokens > 0 {
                print(
                    "\(name): found its start by simulating the build over \(TokenCount.grouped(tokens)) source "
                        + "tokens in \(String(format: "%.2f", seconds)) s")
            }
            print("\(name): \(rows) rows in \(BuildSliceFiles(outputDirectory: m.output).rowsDirectory(index).path)")
        }
    }
}
