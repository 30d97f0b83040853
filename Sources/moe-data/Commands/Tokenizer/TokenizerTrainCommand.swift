import ArgumentParser
import Foundation
import MoeData

struct TokenizerTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a SentencePiece unigram model in the umT5 layout on a sample of your data.",
        discussion: """
            A sample of --sample-bytes is drawn from the inputs in one streaming pass (memory stays \
            bounded by the sample size). Each input gets its share of the sample (--share, in input order; \
            equal by default), so that code and prose are both represented whatever the file sizes. \
            The model has byte fallback, pad 0, eos 1, unk 2 and no bos, like umT5.

            Examples:
              moe-data tokenizer train -o runs/tok.model --input README.md \\
                --input BENCHMARKS.md --share 3 --share 1 --vocab-size 2000
              moe-data tokenizer train -o runs/sample.model \\
                --manifest manifests/sample.yaml --source-share the_stack=3 \\
                --source-share common_crawl=1
            """
    )

    @Option(name: [.short, .long], help: "Where to write the .model file.")
    var output: String

    @Option(
        name: .customLong("input"),
        help: "Training input: plain text, or JSONL (.jsonl/.json) with --field. Repeatable.")
    var inputs: [String] = []

    @Option(
        help: ArgumentHelp(
            "Draw the sample from a manifest's sources (every format the manifest reads). Shares "
                + "come from --source-share, else the manifest's tokenizer.train.shares, else equal."))
    var manifest: String?

    @Option(
        name: .customLong("source-share"),
        help: "With --manifest: NAME=WEIGHT, a source's relative share of the sample. Repeatable.")
    var sourceShares: [String] = []

    @Option(name: .customLong("share"), help: "Relative share of the sample for each --input, in order. Repeatable.")
    var shares: [Double] = []

    @Option(help: "Input format of every --input (auto: by the file's extension).")
    var format: TrainingInputFormat = .auto

    @Option(help: "JSONL field holding the document text.")
    var field: String = "text"

    @Option(help: "Number of pieces (umT5: 256000; needs gigabytes of sample).")
    var vocabSize: Int = 8000

    @Option(help: "Share of characters covered by character pieces; the rest falls back to bytes.")
    var characterCoverage: Double = 0.9995

    @Flag(inversion: .prefixedNo, help: "Split digits into single-digit pieces.")
    var splitDigits: Bool = true

    @Flag(inversion: .prefixedNo, help: "Byte fallback for characters outside the vocabulary.")
    var byteFallback: Bool = true

    @Option(help: "Sample size in bytes: K, M, G count in thousands (20M), KiB, MiB, GiB in 1024s (64MiB).")
    var sampleBytes: String = "20M"

    @Option(help: "Mode tokens [NLU] [NLG] [S2S]: text (encoded as plain text, as OpenMoE) or reserved (one id each).")
    var modeTokens: ModeTokenEncoding = .text

    @Option(name: .customLong("user-defined-symbol"), help: "A piece that is always one id. Repeatable.")
    var userDefinedSymbols: [String] = []

    @Option(
        help: ArgumentHelp(
            "Normalization rule: identity keeps the text as it is (lossless); nmt_nfkc is SentencePiece's and T5's."))
    var normalization: NormalizationRule = .identity

    @Option(help: "Seed of the sample draw and the trainer.")
    var seed: UInt64 = 0

    @OptionGroup var jobs: JobsOption<SentencePieceTrainerJobs>

    @Flag(help: "Show libsentencepiece's training log.")
    var verbose: Bool = false

    func validate() throws {
        try OptionCheck.int(vocabSize, "--vocab-size", 1...(1 << 24))
        try OptionCheck.double(characterCoverage, "--character-coverage", 0...1, exclusiveLower: true)
        _ = try ByteSize.option(sampleBytes, name: "--sample-bytes")
        for share in shares { try OptionCheck.double(share, "--share", 0...1e12, exclusiveLower: true) }
        guard !inputs.isEmpty || manifest != nil else {
            throw ValidationError("no training inputs: give --manifest M or at least one --input FILE")
        }
        guard shares.isEmpty || shares.count == inputs.count else {
            throw ValidationError(
                "\(shares.count) --share values for \(inputs.count) --input files; give one per input or none")
        }
        _ = try namedShares()
        _ = try trainingOptions()
    }

    /// The trainer's options, checked (e.g. that --vocab-size leaves room for learned pieces).
    private func trainingOptions() throws -> TokenizerTrainingOptions {
        var options = TokenizerTrainingOptions()
        options.vocabSize = vocabSize
        options.characterCoverage = characterCoverage
        options.splitDigits = splitDigits
        options.byteFallback = byteFallback
        options.sampleBytes = try ByteSize.option(sampleBytes, name: "--sample-bytes")
        options.normalization = normalization.name
        options.seed = seed
        options.threads = jobs.count
        options.userDefinedSymbols = (modeTokens == .reserved ? ModeToken.symbols : []) + userDefinedSymbols
        try options.validate()
        return options
    }

    /// `--source-share NAME=WEIGHT` values by name.
    private func namedShares() throws -> [String: Double] {
        var named: [String: Double] = [:]
        for item in sourceShares {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let w = Double(parts[1]), w > 0 else {
                throw ValidationError("--source-share \(item): expected NAME=WEIGHT with a positive weight")
            }
            named[parts[0]] = w
        }
        return named
    }

    /// The --input files, then the manifest's sources, each with its share of the sample.
    private func textSources() throws -> [(source: any TrainingTextSource, share: Double)] {
        var sources: [(source: any TrainingTextSource, share: Double)] = inputs.enumerated().map { i, path in
            let source = TextFileSource(path: path, format: format.format(forPath: path), field: field)
            return (source, shares.isEmpty ? 1 : shares[i])
        }
        if let manifest {
            let m = try Manifest.load(path: manifest)
            let named = try namedShares()
            let shares = named.isEmpty ? (m.tokenizer.train?.shares ?? [:]) : named
            sources += try TokenizerSetup.textSources(
                m, shares: shares, sharesKey: named.isEmpty ? "tokenizer.train.shares" : "--source-share")
        }
        return sources
    }

    func run() throws {
        var training = TokenizerTraining(inputs: try textSources(), options: try trainingOptions(), modelPath: output)
        training.verbose = verbose
        let report = try training.run { stats in
            for s in stats {
                print(
                    "sample \(s.source): kept \(s.sentencesKept) of \(s.sentencesSeen) lines, "
                        + "\(s.bytesKept) of \(s.bytesSeen) bytes (budget \(s.budgetBytes))")
            }
        }
        // A model trained with its own sentinel pieces is shown with them (`from_model`).
        let ownSentinels = training.options.userDefinedSymbols.contains(Tokenizer.sentinelPiece(0))
        let tokenizer = try Tokenizer(
            modelPath: output, sentinels: ownSentinels ? .fromModel : .appended(Tokenizer.defaultSentinelCount))
        let count = tokenizer.sentinelCount
        let sentinels = ownSentinels ? "\(count) of its own sentinels" : "+\(count) sentinels"
        print(
            "wrote \(output): \(tokenizer.pieceCount) pieces, \(sentinels) = "
                + "\(tokenizer.vocabSize) ids (padded \(tokenizer.paddedVocabSize)), xxh64 \(tokenizer.modelHash)")
        print(
            "time: sample \(formatDuration(report.sampleTime)), train \(formatDuration(report.trainTime)); "
                + "peak memory \(peakResidentMegabytes()) MB")
    }
}

/// Peak resident set size of this process (Linux reports ru_maxrss in KiB).
func peakResidentMegabytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss / 1024
}
