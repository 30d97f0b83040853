/// Which token ends each document (`tokenizer.eos` in a manifest, `--eos` on the tokenizer commands).
/// A SentencePiece model names its own eos piece; a tokenizer.json names one in its post-processor
/// (the special token after the sequence), and GPT-2-like files name none, so the manifest does.
public enum EOSChoice: Sendable, Equatable {
    /// The model's own: the eos piece of a `.model`, the post-processor's token of a tokenizer.json.
    case model
    /// This piece or added token of the model.
    case piece(String)
    /// This id (a build's output records the id it used).
    case id(UInt32)
}

extension TokenizerSpec {
    /// Which token ends documents: `eos` when the manifest names one, else the model's.
    public var eosChoice: EOSChoice { eos.map(EOSChoice.piece) ?? .model }
}
