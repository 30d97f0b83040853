/// The manifest's `dedup:` section: which duplicates and contaminated documents the `dedup` stage
/// removes between ingest and mix, and which copy survives. Absent, nothing is removed and no
/// output changes.
public struct DedupSpec: Sendable, Equatable {
    /// Whether documents are compared with every source's (`across`) or only their own (`within`).
    public enum Scope: String, Sendable, CaseIterable {
        case across, within
    }

    /// What a document matching an evaluation passage gets.
    public enum ContaminationAction: String, Sendable, CaseIterable {
        case remove, count
    }

    /// What near dedup's shingles are cut from.
    public enum Shingles: String, Sendable, CaseIterable {
        /// Words of the fineweb normalization of the text, read again from the source's files (the
        /// default: FineWeb's settings are tuned for words, and the same text gives the same words
        /// whatever the tokenizer).
        case words
        /// Token ids of the ingested shards: no text is read again, so the source's files may be gone
        /// (unless exact dedup or decontamination, which need the text, are asked for too).
        case tokens
    }

    public struct Near: Sendable, Equatable {
        public var shingles = Shingles.words
        /// Words (or token ids) per shingle (FineWeb: 5 words; `tokenNgram` ids by default).
        public var ngram = 5
        /// The default shingle of `shingles: tokens`: about FineWeb's five words in a 32k unigram
        /// vocabulary (1.35 tokens a word on bench/dedup's corpus, where 7 ids remove what 5 words do).
        public static let tokenNgram = 7
        public var permutations = 112
        public var bands = 14
        /// Candidate pairs whose signatures agree on less than this share are kept apart.
        public var threshold = 0.75
        /// Seeds the permutations' coefficients.
        public var seed: UInt64 = 1
        public var rowsPerBand: Int { permutations / bands }

        /// FineWeb's settings over `shingles`, with that kind's default shingle length.
        public init(shingles: Shingles = .words) {
            self.shingles = shingles
            ngram = shingles == .tokens ? Self.tokenNgram : 5
        }
    }

    public struct Decontamination: Sendable, Equatable {
        /// Evaluation files: JSONL (`.jsonl`, `.json`; the `text_field` of each line) or text (each
        /// non-blank line a passage).
        public var paths: [String]
        public var textField = "text"
        /// Words per n-gram (GPT-3: 13).
        public var ngram = 13
        public var action = ContaminationAction.remove
    }

    public var scope = Scope.across
    /// Sources whose copies survive first, in this order; the others follow in manifest order.
    public var keep: [String] = []
    /// The normalization of exact dedup, or nil for no exact dedup.
    public var exact: TextNormalization?
    public var near: Near?
    public var decontaminate: Decontamination?
    /// Bytes of records held in memory before they are sorted and written as a run.
    public var bufferBytes = 64 << 20

    /// Whether the first pass needs each document's text, read again from the source's files.
    public var needsText: Bool { exact != nil || decontaminate != nil || near?.shingles == .words }

    public init() {}
}

/// How a document's text is normalized before exact hashing (and, `fineweb`, before near dedup's
/// words and the decontamination n-grams are cut). Defined in the README, "Deduplication".
public enum TextNormalization: String, Sendable, CaseIterable {
    /// The bytes as they are.
    case none
    /// Runs of whitespace (Python's `str.isspace`) as one space, none at either end.
    case whitespace
    /// Each character lowercased on its own, punctuation (Unicode category P*) removed, decimal
    /// digits (Nd) as `0`, then `whitespace`.
    case fineweb
}
