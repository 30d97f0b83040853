import ArgumentParser
import Foundation
import MoeData

/// The build `moe-data slurm`'s merge job runs after the merge: `build`'s mixture options, and its seed.
struct SlurmBuildOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "After the merge, build this mixture (a file or a preset); without it the merge job only merges.",
            valueName: "file or preset"))
    var mixture: String?

    @Option(
        help: ArgumentHelp(
            "With --mixture: scale it to this many source tokens (e.g. 2M), as `build --total-tokens`.",
            valueName: "tokens"))
    var totalTokens: String?

    @Option(help: ArgumentHelp("With --mixture: every source's max_epochs, as `build --max-epochs`.", valueName: "n"))
    var maxEpochs: Int?

    @Option(help: "Seed of the build's shuffles and of the tokenizer's training sample, as `build --seed`.")
    var seed: UInt64?

    @Option(
        help: ArgumentHelp(
            "With --mixture: build the rows as K slices, a job array after the merge job (`build --slices K "
                + "--slice I`), then a build job that merges them into packed/ (default 1: one build).",
            valueName: "K"))
    var buildSlices: Int?

    func validate() throws {
        if mixture == nil,
            let needing = [
                ("--total-tokens", totalTokens != nil), ("--max-epochs", maxEpochs != nil),
                ("--build-slices", buildSlices != nil),
            ].first(where: \.1)?.0
        {
            throw ValidationError("\(needing) applies to the build after the merge: give --mixture too")
        }
        try OptionCheck.int(buildSlices, "--build-slices", 1...1_000_000)
        _ = try mixtureOptions()
    }

    /// The mixture options as `build` takes them, parsed and checked by `build`'s own option group.
    private func mixtureOptions() throws -> MixtureOptions? {
        guard let mixture else { return nil }
        // `--name=value`: a value that starts with '-' stays a value.
        var arguments = ["--mixture=\(mixture)"]
        if let totalTokens { arguments.append("--total-tokens=\(totalTokens)") }
        if let maxEpochs { arguments.append("--max-epochs=\(maxEpochs)") }
        // Its refusals read as this command's own (not wrapped in the nested parse's error).
        do { return try MixtureOptions.parse(arguments) } catch {
            throw ValidationError(MixtureOptions.message(for: error))
        }
    }

    /// The build step for `manifest`, nil without --mixture. The mixture is refused now, not after
    /// hours of ingest: the checks `build` makes before it writes anything.
    func step(for manifest: Manifest) throws -> SlurmBuildStep? {
        guard let options = try mixtureOptions() else { return nil }
        let mix = try options.load().overridingSeed(seed)
        try mix.validateForBuild(
            knownSources: Set(manifest.sources.map(\.name)), tokenizer: nil, sentinels: manifest.tokenizer.sentinels)
        // The merge job runs in the output folder: a mixture file goes by its absolute path.
        let isFile = FileManager.default.fileExists(atPath: options.mixture)
        return SlurmBuildStep(
            mixture: isFile ? URL(fileURLWithPath: options.mixture).standardizedFileURL.path : options.mixture,
            totalTokens: options.totalTokens, maxEpochs: options.maxEpochs, seed: seed,
            slices: buildSlices.flatMap { $0 >= 2 ? $0 : nil })
    }
}
