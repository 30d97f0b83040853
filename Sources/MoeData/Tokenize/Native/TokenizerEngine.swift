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
        -> (TokenizerEngine, LazyNativeEncoder?)
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
        return (.native, LazyNativeEncoder(try NativeUnigramEncoder.check(model, path: modelPath)))
    }
}

/// The native encoder of a checked model, made when the first text is encoded. Making it (its
/// tries) takes 50 ms for a 32k model, the largest part of starting a build whose ingest is
/// done and which never encodes a text; the model was checked already, so nothing is refused
/// late. Thread-safe: the first caller makes it, under a lock every caller takes once per text.
final class LazyNativeEncoder: @unchecked Sendable {
    private let checked: NativeUnigramEncoder.CheckedModel
    private let lock = NSLock()
    private var made: NativeUnigramEncoder?

    init(_ checked: NativeUnigramEncoder.CheckedModel) {
        self.checked = checked
    }

    var encoder: NativeUnigramEncoder {
        lock.withLock {
            if let made { return made }
            let encoder = NativeUnigramEncoder(checked: checked)
            made = encoder
            return encoder
        }
    }

    /// True once a text was encoded (for the test that a build with nothing to ingest never makes it).
    var isMade: Bool { lock.withLock { made != nil } }
}
