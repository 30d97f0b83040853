/// Settings of `TokenizerTrainer.train`: a SentencePiece unigram model in the umT5 id layout
/// (pad 0, eos 1, unk 2, no bos) with byte fallback, so no text is ever unknown.
///
/// Defaults suit a 2-core machine: an 8,000-piece model from a 20 MB sample trains in about
/// a minute. umT5 itself has 256,000 pieces, which needs a sample of many gigabytes.
public struct TokenizerTrainingOptions: Sendable, Equatable {
    /// Number of pieces, including pad/eos/unk, the 256 byte pieces and user-defined symbols.
    public var vocabSize: Int = 8000
    /// Share of the sample's characters the model must cover with character pieces; the rarest
    /// rest goes to byte fallback. 0.9995 is SentencePiece's default for large alphabets.
    public var characterCoverage: Double = 0.9995
    /// Split every digit into its own piece (as LLaMA and PaLM do), so numbers tokenize evenly.
    public var splitDigits: Bool = true
    /// Bytes of text drawn from the inputs for training.
    public var sampleBytes: Int = 20_000_000
    /// Decompose characters outside the vocabulary into `<0xNN>` byte pieces (umT5 does).
    public var byteFallback: Bool = true
    /// Pieces that are always one id, never split, e.g. the mode tokens `[NLU]`, `[NLG]`, `[S2S]`
    /// when the mixture reserves ids for them.
    public var userDefinedSymbols: [String] = []
    /// Seed of the sample draw and of the trainer.
    public var seed: UInt64 = 0
    /// Trainer threads. libsentencepiece splits the sample among its threads, so the model changes
    /// with their number: a fixed count (not the machine's cores) gives the same model everywhere.
    public var threads: Int = TokenizerTrainingOptions.reproducibleThreads
    public static let reproducibleThreads = 2
    /// SentencePiece normalization rule: "identity" keeps text as is, so decoding returns the
    /// exact input (code indentation and newlines included); "nmt_nfkc" is SentencePiece's
    /// default (NFKC, whitespace folding) as in T5's models.
    public var normalization: String = "identity"
    /// Longest training sentence in bytes; longer lines are cut into pieces of at most this.
    public var maxSentenceBytes: Int = 4192

    public init() {}

    public static let normalizations = ["identity", "nmt_nfkc", "nfkc", "nmt_nfkc_cf", "nfkc_cf"]

    /// Ids the layout fixes before any learned piece: pad, eos, unk.
    static let reservedIdCount = 3

    public func validate() throws {
        guard vocabSize > 0 else { throw MoeDataError("--vocab-size \(vocabSize) must be positive") }
        let fixed = TokenizerTrainingOptions.reservedIdCount + (byteFallback ? 256 : 0) + userDefinedSymbols.count
        guard vocabSize > fixed else {
            throw MoeDataError(
                "--vocab-size \(vocabSize) leaves no room for learned pieces: pad/eos/unk"
                    + (byteFallback ? ", 256 byte pieces" : "")
                    + (userDefinedSymbols.isEmpty ? "" : " and \(userDefinedSymbols.count) user-defined symbols")
                    + " already take \(fixed) ids")
        }
        guard characterCoverage > 0 && characterCoverage <= 1 else {
            throw MoeDataError("--character-coverage \(characterCoverage) must be in (0, 1]")
        }
        guard sampleBytes > 0 else { throw MoeDataError("--sample-bytes \(sampleBytes) must be positive") }
        guard threads > 0 else { throw MoeDataError("--threads \(threads) must be positive") }
        guard maxSentenceBytes >= 16 else {
            throw MoeDataError("max sentence length \(maxSentenceBytes) bytes is too small (at least 16)")
        }
        guard TokenizerTrainingOptions.normalizations.contains(normalization) else {
            throw MoeDataError(
                "--normalization \(normalization) is unknown; use one of "
                    + TokenizerTrainingOptions.normalizations.joined(separator: ", "))
        }
        var seen = Set<String>()
        for symbol in userDefinedSymbols {
            // The trainer takes the list comma-separated and splits text on whitespace first.
            guard !symbol.isEmpty, !symbol.contains(","), !symbol.contains(where: \.isWhitespace) else {
                throw MoeDataError("user-defined symbol \"\(symbol)\" must be non-empty without commas or whitespace")
            }
            guard seen.insert(symbol).inserted else {
                throw MoeDataError("user-defined symbol \(symbol) is listed twice")
            }
        }
    }

    /// The trainer's 32-bit seed. UInt32.max means "unseeded" (std::random_device) to
    /// libsentencepiece, so it is never passed: training must be reproducible.
    var trainerSeed: UInt32 {
        let folded = UInt32(truncatingIfNeeded: seed ^ (seed >> 32))
        return folded == UInt32.max ? 0 : folded
    }

    /// Flags for libsentencepiece's trainer (the names `spm_train --help` lists).
    func trainerArguments() -> [(String, String)] {
        var args: [(String, String)] = [
            ("model_type", "unigram"),
            ("vocab_size", String(vocabSize)),
            ("character_coverage", String(characterCoverage)),
            ("split_digits", String(splitDigits)),
            ("byte_fallback", String(byteFallback)),
            // umT5 layout; seqio uses pad (0) as BOS / decoder start, so no bos piece.
            ("pad_id", "0"), ("eos_id", "1"), ("unk_id", "2"), ("bos_id", "-1"),
            ("normalization_rule_name", normalization),
            ("num_threads", String(threads)),
            ("max_sentence_length", String(maxSentenceBytes)),
            // The sample is already drawn (and bounded) by `TrainingSampler`; load all of it.
            ("input_sentence_size", "0"),
        ]
        if normalization == "identity" {
            // Keep runs of spaces (code indentation) and let pieces be made of them.
            args.append(("remove_extra_whitespaces", "false"))
            args.append(("allow_whitespace_only_pieces", "true"))
        }
        if !userDefinedSymbols.isEmpty {
            args.append(("user_defined_symbols", userDefinedSymbols.joined(separator: ",")))
        }
        return args
    }
}
