import ArgumentParser
import MoeData

/// Options shared by the pipeline commands that tokenize (ingest, build), and what they imply.
struct CommonOptions: ParsableArguments {
    @OptionGroup var jobs: JobsOption<TokenizingJobs>

    @OptionGroup var engine: EngineOption

    @Flag(help: "No progress line and no summary.")
    var quiet = false

    /// The manifest's tokenizer, trained first when the manifest says how and the model does not exist
    /// (its sample drawn with `seed`, default 0).
    func tokenizer(for manifest: Manifest, seed: UInt64? = nil) throws -> Tokenizer {
        try TokenizerSetup.load(
            manifest: manifest, quiet: quiet, engine: engine.tokenizerEngine,
            seed: seed, twoThreads: jobs.count > 1)
    }

    /// Ingest's options: these, and whether to forget earlier work (`--restart`).
    func ingestOptions(restart: Bool) -> Ingest.Options {
        var options = Ingest.Options()
        options.jobs = jobs.count
        options.quiet = quiet
        options.restart = restart
        return options
    }
}
