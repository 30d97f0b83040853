import Foundation

/// A tokenizer.json's `model`: `BPE` or `Unigram`.
enum HuggingFaceModelFile: Sendable {
    case bpe(BPEModelFile)
    case unigram(UnigramModelFile)

    /// `data` is the whole file (Unigram scores are read from their text).
    init(_ model: TokenizerJSONObject, data: Data) throws {
        // Files of tokenizers before 0.9 have no type; they hold BPE models.
        switch try model.optionalString("type") ?? "BPE" {
        case "BPE": self = .bpe(try BPEModelFile(model))
        case "Unigram": self = .unigram(try UnigramModelFile(model, data: data))
        case let type: throw model.unsupported("model \(type)", supported: "BPE, Unigram")
        }
    }

    /// Each piece and its id; a piece listed twice has its last id, as the library's lookup.
    var vocab: [(piece: String, id: UInt32)] {
        switch self {
        case .bpe(let file): file.vocab
        case .unigram(let file): file.pieces.enumerated().map { ($1.piece, UInt32($0)) }
        }
    }

    /// The library's `get_vocab_size()`: where the ids of added tokens not in the model start.
    var count: Int {
        switch self {
        case .bpe(let file): file.vocab.count
        case .unigram(let file): file.pieces.count
        }
    }

    var byteFallback: Bool {
        switch self {
        case .bpe(let file): file.byteFallback
        case .unigram(let file): file.byteFallback
        }
    }
}
