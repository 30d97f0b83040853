/// What `HuggingFaceTokenizerExport` needs of a model so that `tokenizers` gives libsentencepiece's
/// ids. Anything else is refused with the reason, never written as a file that encodes differently.
struct HuggingFaceExportCheck {
    /// Each piece as text (tokenizer.json's vocabulary is a list of strings).
    let pieces: [String]
    /// True when some piece has a `▁` after its first character: `Metaspace` must not split there.
    let piecesHaveInnerMetaspace: Bool

    init(model: SentencePieceModelFile, path: String) throws {
        func refuse(_ why: String) -> MoeDataError {
            MoeDataError(
                "tokenizer model \(path): \(why); tokenizer.json cannot express that exactly (the tokenizers "
                    + "library would give other ids), so export-hf refuses this model")
        }
        guard model.modelType == .unigram else {
            throw refuse("it is a \(model.modelType) model, and export-hf writes unigram models only")
        }
        guard !model.treatWhitespaceAsSuffix else { throw refuse("it puts the whitespace after words") }
        guard model.escapeWhitespaces else { throw refuse("it keeps spaces unescaped (escape_whitespaces false)") }
        var pieces: [String] = []
        pieces.reserveCapacity(model.pieces.count)
        for (i, p) in model.pieces.enumerated() {
            guard let text = String(validating: p.piece, as: UTF8.self) else {
                throw refuse("piece #\(i) is not valid UTF-8")
            }
            pieces.append(text)
        }
        self.pieces = pieces
        let metaspace = HuggingFaceTokenizerExport.metaspace
        piecesHaveInnerMetaspace = pieces.contains { $0.dropFirst().contains(metaspace) }
        try Self.checkUserDefined(model, pieces: pieces, refuse: refuse)
        try Self.checkFirstCharacters(model, pieces: pieces, refuse: refuse)
    }

    /// libsentencepiece passes user-defined pieces through its normalizer untouched; `Precompiled`
    /// would map them. Printable ASCII is what every SentencePiece character map leaves as it is.
    static func checkUserDefined(
        _ model: SentencePieceModelFile, pieces: [String], refuse: (String) -> MoeDataError
    ) throws {
        guard !model.precompiledCharsMap.isEmpty else { return }
        for (i, p) in model.pieces.enumerated() where p.type == .userDefined {
            guard p.piece.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw refuse(
                    "user-defined piece #\(i) \"\(pieces[i])\" is not printable ASCII, which the model's "
                        + "character map (\(model.normalizerName)) might change")
            }
        }
    }

    /// Where no single piece covers a character, libsentencepiece scores an unknown node at its own
    /// `min_score - 10` and `tokenizers` at the vocabulary's lowest score minus 10, which the hidden
    /// pieces set. The two agree as long as no piece starts with such a character: then the unknown
    /// node is the only way past it.
    static func checkFirstCharacters(
        _ model: SentencePieceModelFile, pieces: [String], refuse: (String) -> MoeDataError
    ) throws {
        var singles = Set<Unicode.Scalar>()
        for (i, p) in model.pieces.enumerated() where p.type == .normal || p.type == .userDefined {
            let scalars = pieces[i].unicodeScalars
            if scalars.count == 1, let only = scalars.first { singles.insert(only) }
        }
        for (i, piece) in pieces.enumerated() {
            guard let first = piece.unicodeScalars.first, !singles.contains(first) else { continue }
            throw refuse(
                "piece #\(i) \"\(piece)\" starts with U+\(String(first.value, radix: 16, uppercase: true)), "
                    + "which no piece of its own covers, so the two libraries score the text around it differently")
        }
    }
}
