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

    @Option(name: .customLong("input"), help: "Training input: plain text, or JSONL (.jsonl/.json) with --field. Repeatable.")
    var inputs: [String] = []

    @Option(help: "Draw the sample from a manifest's sources (every format the manifest reads). Shares come from --source-share, else the manifest's tokenizer.train.shares, else equal.")
    var manifest: String?

    @Option(name: .customLong("source-share"), help: "With --manifest: NAME=WEIGHT, a source's relative share of the sample. Repeatable.")
    var sourceShares: [String] = []

    @Option(name: .customLong("share"), help: "Relative share of the sample for each --input, in order. Repeatable.")
    var shares: [Double] = []

    @Option(help: "Input format: auto (by extension), text or jsonl.")
    var format: String = "auto"

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
    var modeTokens: String = "text"

    @Option(name: .customLong("user-defined-symbol"), help: "A piece that is always one id. Repeatable.")
    var userDefinedSymbols: [String] = []

    @Option(help: "Normalization: identity (lossless; default) or nmt_nfkc (SentencePiece/T5 default).")
    var normalization: String = "identity"

    @Option(help: "Seed of the sample draw and the trainer.")
    var seed: UInt64 = 0

    @Option(help: "Trainer threads.")
    var threads: Int = 2

    @Flag(help: "Show libsentencepiece's training log.")
    var verbose: Bool = false

    func validate() throws {
        try OptionCheck.int(vocabSize, "--vocab-size", 1...(1 << 24))
        try OptionCheck.double(characterCoverage, "--character-coverage", 0...1, exclusiveLower: true)
        _ = try ByteSize.option(sampleBytes, name: "--sample-bytes")
        try OptionCheck.int(threads, "--threads", 1...OptionCheck.maxThreads)
        for share in shares { try OptionCheck.double(share, "--share", 0...1e12, exclusiveLower: true) }
    }

    func run() throws {
        var options = TokenizerTrainingOptions()
        options.vocabSize = vocabSize
        options.characterCoverage = characterCoverage
        options.splitDigits = splitDigits
        options.byteFallback = byteFallback
        options.sampleBytes = try ByteSize.option(sampleBytes, name: "--sample-bytes")
        options.normalization = normalization
        options.seed = seed
        options.threads = threads
        guard let encoding = ModeTokenEncoding(rawValue: modeTokens) else {
            throw MoeDataError("--mode-tokens \(modeTokens) is unknown; use text or reserved")
        }
        options.userDefinedSymbols = (encoding == .reserved ? ModeToken.symbols : []) + userDefinedSymbols
        try options.validate()

        guard !inputs.isEmpty || manifest != nil else { throw MoeDataError("no training inputs: give --manifest M or at least one --input FILE") }
        guard shares.isEmpty || shares.count == inputs.count else {
            throw MoeDataError("\(shares.count) --share values for \(inputs.count) --input files; give one per input or none")
        }
        var sources: [(source: any TrainingTextSource, share: Double)] = []
        for (i, path) in inputs.enumerated() {
            let fileFormat: TextFileSource.Format
            switch format {
            case "auto": fileFormat = TextFileSource.format(forPath: path)
            default:
                guard let f = TextFileSource.Format(rawValue: format) else {
                    throw MoeDataError("--format \(format) is unknown; use auto, text or jsonl")
                }
                fileFormat = f
            }
            sources.append((TextFileSource(path: path, format: fileFormat, field: field), shares.isEmpty ? 1 : shares[i]))
        }

        if let manifest {
            let m = try Manifest.load(path: manifest)
            var named: [String: Double] = [:]
            for item in sourceShares {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let w = Double(parts[1]), w > 0 else {
                    throw MoeDataError("--source-share \(item): expected NAME=WEIGHT with a positive weight")
                }
                named[parts[0]] = w
            }
            let shares = named.isEmpty ? (m.tokenizer.train?.shares ?? [:]) : named
            sources += try TokenizerSetup.textSources(m, shares: shares, sharesKey: named.isEmpty ? "tokenizer.train.shares" : "--source-share")
        }

        var training = TokenizerTraining(inputs: sources, options: options, modelPath: output)
        training.verbose = verbose
        let report = try training.run { stats in
            for s in stats {
                print("sample \(s.source): kept \(s.sentencesKept) of \(s.sentencesSeen) lines, "
                    + "\(s.bytesKept) of \(s.bytesSeen) bytes (budget \(s.budgetBytes))")
            }
        }
        let tokenizer = try Tokenizer(modelPath: output)
        print("wrote \(output): \(tokenizer.pieceCount) pieces, +\(tokenizer.sentinelCount) sentinels = \(tokenizer.vocabSize) ids (padded \(tokenizer.paddedVocabSize)), xxh64 \(tokenizer.modelHash)")
        print("time: sample \(format(report.sampleTime)), train \(format(report.trainTime)); "
            + "peak memory \(peakResidentMegabytes()) MB")
    }

    private func format(_ d: Duration) -> String { formatDuration(d) }
}

/// Peak resident set size of this process (Linux reports ru_maxrss in KiB).
func peakResidentMegabytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss / 1024
}
