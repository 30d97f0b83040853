/// The manifest's `tokenizer`: the model, its sentinels, and how to train it when it is missing.
public struct TokenizerSpec: Sendable {
    /// Path of the SentencePiece `.model` or the Hugging Face `tokenizer.json`.
    public var model: String
    /// `sentinels`: a count appended after the pieces (default 300), or `from_model`.
    public var sentinels: SentinelSource
    /// When set and the model file is missing, `build` trains one with these settings.
    public var train: TrainSpec?
    /// `eos`: the piece or added token that ends each document (default: the model's own; see `EOSChoice`).
    public var eos: String? = nil

    public struct TrainSpec: Sendable {
        public var vocabSize: Int
        public var sampleMegabytes: Int
        public var characterCoverage: Double
        /// Per-source shares of the training sample (source name → weight); default: equal.
        public var shares: [String: Double]
        public var userDefinedSymbols: [String]
    }
}
