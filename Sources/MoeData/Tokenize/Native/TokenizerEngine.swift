import Foundation

/// Which encoder a `Tokenizer` runs. Both give the same ids (libsentencepiece 0.1.97's); the
/// native one is several times faster but handles unigram models only.
public enum TokenizerEngine: String, Sendable, CaseIterable {
    /// Native for unigram models, libsentencepiece for BPE, char and word models.
    case auto
    /// The Swift unigram encoder; an error for models of other types.
    case native
    /// libsentencepiece for everything.
    case library

    static func resolve(_ requested: TokenizerEngine, modelBytes: Data, modelPath: String) throws
        -> (TokenizerEngine, NativeUnigramEncoder?)
    {
        if requested == .library { return (.library, nil) }
        let model = try SentencePieceModelFile(bytes: [UInt8](modelBytes), path: modelPath)
        guard model.modelType == .unigram else {
            if requested == .native {
                throw MoeDataError(
                    "tokenizer model \(modelPath) is a \(model.modelType) model; --tokenizer-engine native handles "
                        + "unigram models only (use auto or library)")
            }
            return (.library, nil)
        }
        return (.native, try NativeUnigramEncoder(model: model, path: modelPath))
    }
}
