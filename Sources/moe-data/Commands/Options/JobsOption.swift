import ArgumentParser
import Foundation
import MoeData

/// `--jobs`: the threads a command works on, one name in every command. `--threads`, its old name in
/// `tokenizer train`, `train` and `analyze`, still works for old scripts but is not shown in the help.
/// `Use` says what the threads do and how many a command takes when none are asked for.
struct JobsOption<Use: JobsUse>: ParsableArguments {
    @Option(help: ArgumentHelp(Use.help))
    var jobs: Int?

    @Option(name: .customLong("threads"), help: .hidden)
    var threads: Int?

    /// The threads asked for, else the command's default.
    var count: Int { jobs ?? threads ?? Use.defaultCount }

    func validate() throws {
        try OptionCheck.int(jobs, "--jobs", 1...OptionCheck.maxThreads)
        try OptionCheck.int(threads, "--threads", 1...OptionCheck.maxThreads)
        if jobs != nil && threads != nil {
            throw ValidationError("--threads is the old name of --jobs; give one of them")
        }
    }
}

/// What a command's `--jobs` threads do (the option's help) and how many it takes by default.
protocol JobsUse {
    static var help: String { get }
    static var defaultCount: Int { get }
}

/// The default of every command but `tokenizer train`.
private let allCores = ProcessInfo.processInfo.activeProcessorCount

/// Threads that tokenize (ingest, build, the tokenizer's encode, bench and verify); in build, also
/// the threads around the mixer (`RowWriteStep`, `SourceDocuments`).
enum TokenizingJobs: JobsUse {
    static let help =
        "Threads that tokenize; build also decodes token shards and compresses and writes packed shards "
        + "on them (default: all cores). The output does not depend on it."
    static var defaultCount: Int { allCores }
}

/// OpenBLAS threads, the only threads `train` and `analyze` use.
enum BLASJobs: JobsUse {
    static let help =
        "OpenBLAS threads, the only threads the trainer uses (default: all cores). "
        + "Float sums follow the thread count, so losses differ slightly with it."
    static var defaultCount: Int { allCores }
}

/// libsentencepiece's trainer threads (`tokenizer train`).
enum SentencePieceTrainerJobs: JobsUse {
    static let help =
        "Threads of libsentencepiece's trainer (default: 2, not all cores: the trainer splits the "
        + "sample among its threads, so the model changes with their number; a fixed default gives the same "
        + "model on every machine)."
    static var defaultCount: Int { TokenizerTrainingOptions.reproducibleThreads }
}
