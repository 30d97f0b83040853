import ArgumentParser
import MoeData

/// The mixture options `build` and `plan` share, and the loading they imply.
struct MixtureOptions: ParsableArguments {
    @Option(help: "The mixture: a file, or a preset built into the binary (openmoe-base, openmoe-8b, openmoe-34b).")
    var mixture: String

    @Option(
        help: ArgumentHelp(
            "Scale the mixture to this many source tokens (e.g. 2000000, 2M), keeping phase boundaries proportional."))
    var totalTokens: String?

    @Option(help: "Override every source's max_epochs (how many passes over a source the mixture may make).")
    var maxEpochs: Int?

    func validate() throws {
        _ = try OptionCheck.tokenCount(totalTokens, "--total-tokens")
        try OptionCheck.int(maxEpochs, "--max-epochs", 1...1_000_000)
    }

    /// The mixture file, scaled and with max_epochs overridden as asked.
    func load() throws -> Mixture {
        var mix = try MixturePresets.load(mixture)
        if let n = try OptionCheck.tokenCount(totalTokens, "--total-tokens") {
            mix = try mix.scaled(toTotal: n)
        }
        if let e = maxEpochs {
            mix = mix.overridingMaxEpochs(Dictionary(uniqueKeysWithValues: mix.mentionedSources.map { ($0, e) }))
        }
        return mix
    }
}
