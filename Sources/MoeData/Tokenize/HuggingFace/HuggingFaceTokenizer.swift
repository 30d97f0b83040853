import Foundation

/// A Hugging Face `tokenizer.json` as `Tokenizer` uses a model (`TokenizerModel`): encoded by the
/// native encoder (`HuggingFaceEncoder`), with the pieces of the model and the added tokens.
///
/// - eos: the manifest's (`EOSChoice`), else the post-processor's token after the sequence; a
///   file with neither is refused with the special tokens it has, one of which the manifest can name;
/// - pad: `padding.pad_token` when the file pads, else the eos id (only the metadata records it: padding
///   positions hold 0 and are masked whatever the id);
/// - unk: the BPE model's `unk_token`, if any.
final class HuggingFaceTokenizer: TokenizerModel {
    let path: String
    let encoder: HuggingFaceEncoder
    /// The piece of each id ("" for ids neither the model nor an added token uses).
    private let pieces: [String]
    private let idsByPiece: [String: UInt32]
    /// Ids of special added tokens (control pieces) and of byte-fallback pieces.
    private let specialIds: Set<UInt32>
    private let fallbackIds: Set<UInt32>
    /// Ids of added tokens: decoded as their text, not through the byte-level alphabet.
    private let addedIds: Set<UInt32>
    let byteLevel: Bool
    /// Decoding turns its replacement character back into spaces.
    let metaspace: MetaspaceSpec?
    let eosId: Int32
    let padId: Int32
    let unkId: Int32

    var pieceCount: Int { pieces.count }

    init(data: Data, path: String, eos: EOSChoice) throws {
        let file = try HuggingFaceTokenizerFile(data: data, path: path)
        self.path = path
        switch file.model {
        case .bpe(let bpeFile):
            let component = TokenizerJSONObject(path: path, component: "model")
            let bpe = try BPEModel(bpeFile, byteLevel: file.preTokenizer.byteLevel, component: component)
            encoder = HuggingFaceEncoder(file, model: .bpe(bpe))
            unkId = bpe.unknownId.map { Int32($0) } ?? -1
        case .unigram(let unigramFile):
            encoder = HuggingFaceEncoder(file, model: .unigram(UnigramModel(unigramFile)))
            unkId = Int32(unigramFile.unkId)
        }
        metaspace = file.preTokenizer.metaspace
        byteLevel = file.preTokenizer.byteLevel
        var byPiece: [String: UInt32] = [:]
        for (piece, id) in file.model.vocab { byPiece[piece] = id }
        for token in file.addedTokens { byPiece[token.content] = token.id }
        idsByPiece = byPiece
        let count = Int((byPiece.values.max() ?? 0)) + 1
        var pieces = [String](repeating: "", count: byPiece.isEmpty ? 0 : count)
        for (piece, id) in file.model.vocab { pieces[Int(id)] = piece }
        for token in file.addedTokens { pieces[Int(token.id)] = token.content }
        self.pieces = pieces
        specialIds = Set(file.addedTokens.filter(\.special).map(\.id))
        addedIds = Set(file.addedTokens.map(\.id))
        fallbackIds =
            file.model.byteFallback
            ? Set((0..<256).compactMap { byPiece[BPEModel.fallbackPiece(UInt8($0))] }) : []
        let eosId = try Self.resolve(eos, file: file, ids: byPiece, count: count)
        self.eosId = Int32(eosId)
        padId = file.padToken.flatMap { byPiece[$0] }.map { Int32($0) } ?? Int32(eosId)
    }

    private static func resolve(_ eos: EOSChoice, file: HuggingFaceTokenizerFile, ids: [String: UInt32], count: Int)
        throws -> UInt32
    {
        let specials = file.addedTokens.filter(\.special).map(\.content)
        let named = specials.isEmpty ? "" : " (its special tokens: \(specials.prefix(12).joined(separator: ", ")))"
        switch eos {
        case .id(let id):
            guard Int(id) < count else {
                throw MoeDataError("tokenizer.json \(file.path): eos id \(id) is outside its \(count) ids")
            }
            return id
        case .piece(let piece):
            guard let id = ids[piece] else {
                throw MoeDataError(
                    "tokenizer.json \(file.path) has no token \(String(reflecting: piece)) to end documents with"
                        + named)
            }
            return id
        case .model:
            guard let piece = file.postProcessorEOS else {
                throw MoeDataError(
                    "tokenizer.json \(file.path) names no end-of-sequence token: its post-processor appends none. "
                        + "Set tokenizer.eos in the manifest (or --eos) to the token that ends each document"
                        + named)
            }
            guard let id = ids[piece] else {
                throw MoeDataError(
                    "tokenizer.json \(file.path): the post-processor's end-of-sequence token "
                        + "\(String(reflecting: piece)) is not in the vocabulary")
            }
            return id
        }
    }

    func knownId(of piece: String) -> UInt32? { idsByPiece[piece] }

    func piece(of id: Int32) -> String { id >= 0 && Int(id) < pieces.count ? pieces[Int(id)] : "" }

    func pieceType(of id: Int32) -> Int32 {
        let id = UInt32(bitPattern: id)
        if specialIds.contains(id) { return 2 }
        if Int32(bitPattern: id) == unkId { return 1 }
        if fallbackIds.contains(id) { return 6 }
        return 0
    }

    func encode(utf8 bytes: UnsafeRawBufferPointer) throws -> [UInt32] {
        encoder.encode(utf8: bytes)
    }

    /// Added tokens as their text; byte-level pieces as the bytes their characters stand for;
    /// byte-fallback pieces as their byte; other pieces as they are spelled. Bytes that do not
    /// form UTF-8 become U+FFFD, as the library's decoders do.
    func decode(_ ids: ArraySlice<UInt32>) throws -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard Int(id) < pieces.count else {
                throw MoeDataError("tokenizer.json \(path): id \(id) is outside its \(pieces.count) ids")
            }
            let piece = pieces[Int(id)]
            if addedIds.contains(id) {
                bytes.append(contentsOf: piece.utf8)
            } else if fallbackIds.contains(id), let byte = UInt8(piece.dropFirst(3).dropLast(), radix: 16) {
                bytes.append(byte)
            } else if byteLevel, let raw = ByteLevelAlphabet.decode(piece) {
                bytes.append(contentsOf: raw)
            } else {
                bytes.append(contentsOf: piece.utf8)
            }
        }
        guard let metaspace else { return String(decoding: bytes, as: UTF8.self) }
        // Metaspace's decoder: the replacement character is a space, and the prefix it put first goes.
        var text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(
            of: String(decoding: metaspace.replacement, as: UTF8.self), with: " ")
        if metaspace.prepend != .never && text.hasPrefix(" ") { text.removeFirst() }
        return text
    }
}
