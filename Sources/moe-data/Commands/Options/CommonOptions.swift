import ArgumentParser
import Foundation
import MoeData

/// Options shared by the commands that do work.
struct CommonOptions: ParsableArguments {
    @Option(help: "Worker threads for tokenization (default: all cores). The output does not depend on it.")
    var jobs: Int?

    @Option(help: ArgumentHelp(
            "Encoder: auto (native for unigram models, libsentencepiece for BPE/char/word), native, or library.",
            discussion: "Both give libsentencepiece 0.1.97's ids; `moe-data tokenizer verify` checks that on your corpus."))
    var tokenizerEngine: TokenizerEngine = .auto

    @Flag(help: "No progress line and no summary.")
    var quiet = false

    var resolvedJobs: Int { jobs ?? ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        try OptionCheck.int(jobs, "--jobs", 1...OptionCheck.maxThreads)
    }
}

extension TokenizerEngine: ExpressibleByArgument {}

/// Prints a user-facing error on stderr and exits 1, instead of a stack trace.
func runReportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as MoeDataError {
        FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
        throw ExitCode(1)
    } catch let e as ExitCode {
        throw e
    } catch {
        FileHandle.standardError.write(Data("error: \(FileErrors.describe(error) ?? "\(error)")\n".utf8))
        throw ExitCode(1)
    }
}

/// The mixture options `build` and `plan` share, and the loading they imply.
struct MixtureOptions: ParsableArguments {
    @Option(help: "The mixture: a file, or a preset built into the binary (openmoe-base, openmoe-8b, openmoe-34b).")
    var mixture: String

    @Option(help: "Scale the mixture to this many source tokens (e.g. 2000000, 2M), keeping phase boundaries proportional.")
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

/// `--output`: where a command that takes a manifest writes (or reads) instead of the manifest's `output`.
struct OutputOption: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Output folder, overriding the manifest's `output` (a tokenizer model the manifest keeps there moves along).",
        valueName: "dir"))
    var output: String?

    func manifest(_ path: String) throws -> Manifest { try Manifest.load(path: path, output: output) }
}
