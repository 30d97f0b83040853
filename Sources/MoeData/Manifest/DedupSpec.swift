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

    public struct Near: Sendable, Equatable {
        /// Words per shingle (FineWeb: 5).
        public var ngram = 5
        public var permutations = 112
        public var bands = 14
        /// Candidate pairs whose signatures agree on less than this share are kept apart.
        public var threshold = 0.75
        /// Seeds the permutations' coefficients.
        public var seed: UInt64 = 1
        public var rowsPerBand: Int { permutations / bands }
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
