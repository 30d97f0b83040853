import FileSupport
import Foundation
import JSON

/// One of our SentencePiece unigram models as a Hugging Face `tokenizer.json` (`tokenizer export-hf`),
/// built so that the `tokenizers` library gives libsentencepiece's ids:
///
/// - model: `Unigram` with every piece at its id and its score, except that pieces libsentencepiece
///   never matches in text (control, unknown, byte, unused) get `hiddenScore`, so no path takes
///   them while another exists, and user-defined pieces get the bonus libsentencepiece gives them
///   (`len * max_score - 0.1`); byte fallback as the model has it;
/// - normalizer: the model's precompiled character map (`Precompiled`), the removal of leading,
///   trailing and repeated spaces when the model does it, then the dummy-prefix `▁` (`Prepend`) and
///   spaces escaped to `▁`, over the whole text as libsentencepiece does;
/// - pre-tokenizer: `Metaspace` without a prefix of its own, splitting at `▁` only when no piece has
///   a `▁` inside (else one lattice over the whole text, as libsentencepiece);
/// - appended sentinels as special added tokens at their ids; the model's own sentinels and other
///   user-defined pieces stay pieces of the model, matched whole as libsentencepiece matches them;
/// - post-processor: EOS after each sequence; decoder: `▁` to space, byte fallback, dummy prefix off.
///
/// What tokenizer.json cannot express exactly is refused (`HuggingFaceExportCheck`).
/// One difference remains: libsentencepiece adds path scores in float32, `tokenizers` in float64.
/// Where two orders of the same pieces score exactly the same (runs of one repeated piece, such as
/// `====` or spaces), float32 rounding picks one and `tokenizers` the other: same pieces, same text.
public enum HuggingFaceTokenizerExport {
    /// Score of the pieces no text may match: far below any real path (scores are log probabilities,
    /// a few tens at most), and equal for all so that none is preferred.
    static let hiddenScore = -1e6
    static let metaspace = "\u{2581}"

    /// `tokenizer.json` for `tokenizer`'s model, with the sentinels as `tokenizer` has them.
    public static func json(for tokenizer: Tokenizer) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: tokenizer.modelPath) else {
            throw MoeDataError("tokenizer model \(tokenizer.modelPath) cannot be read")
        }
        let model = try SentencePieceModelFile(bytes: [UInt8](data), path: tokenizer.modelPath)
        let check = try HuggingFaceExportCheck(model: model, path: tokenizer.modelPath)
        let table = try UnigramPieceTable(model: model, path: tokenizer.modelPath)
        var vocab: [JSONValue] = []
        vocab.reserveCapacity(model.pieces.count)
        for (i, p) in model.pieces.enumerated() {
            vocab.append(.array([.string(check.pieces[i]), .double(score(p, maxScore: table.maxScore))]))
        }
        let unigram: JSONValue = .object([
            "type": .string("Unigram"), "unk_id": .int(Int64(table.unkId)), "vocab": .array(vocab),
            "byte_fallback": .bool(model.byteFallback),
        ])
        let eos = try eosPiece(tokenizer)
        return .object([
            "version": .string("1.0"), "truncation": .null, "padding": .null,
            "added_tokens": .array(try appendedSentinels(tokenizer)),
            "normalizer": normalizer(model),
            "pre_tokenizer": .object([
                "type": .string("Metaspace"), "replacement": .string(metaspace),
                "prepend_scheme": .string("never"), "split": .bool(!check.piecesHaveInnerMetaspace),
            ]),
            "post_processor": postProcessor(eos: eos, id: tokenizer.eosId),
            "decoder": decoder(model),
            "model": unigram,
        ])
    }

    /// Writes `json(for:)` to `path` (atomically: a reader never sees half a file).
    public static func write(_ tokenizer: Tokenizer, to path: String) throws {
        let text = try json(for: tokenizer).encoded() + "\n"
        do {
            try AtomicFile.write(Array(text.utf8), to: URL(fileURLWithPath: path))
        } catch {
            throw MoeDataError("cannot write \(path): \(error)")
        }
    }

    /// The score `tokenizers` must see for `piece` to choose the paths libsentencepiece chooses.
    static func score(_ piece: SentencePieceModelFile.Piece, maxScore: Float) -> Double {
        switch piece.type {
        case .normal: Double(piece.score)
        // libsentencepiece's bonus, in its arithmetic: size_t * float is a float, `- 0.1` a double.
        case .userDefined: Double(Float(piece.piece.count) * maxScore) - 0.1
        case .unknown, .control, .unused, .byte: hiddenScore
        }
    }

    static func eosPiece(_ tokenizer: Tokenizer) throws -> String {
        guard let eos = tokenizer.piece(tokenizer.eosId) else {
            throw MoeDataError("tokenizer model \(tokenizer.modelPath) has no piece for its eos id \(tokenizer.eosId)")
        }
        return eos
    }

    /// Sentinels appended after the pieces: added tokens at their ids, in id order (the order
    /// `tokenizers` assigns them in). Matched in the raw text, so they are not normalized.
    static func appendedSentinels(_ tokenizer: Tokenizer) throws -> [JSONValue] {
        guard tokenizer.sentinelSource != .fromModel else { return [] }
        return try (0..<tokenizer.sentinelCount).reversed().map { k in
            .object([
                "id": .int(Int64(try tokenizer.sentinel(k))), "content": .string(Tokenizer.sentinelPiece(k)),
                "single_word": .bool(false), "lstrip": .bool(false), "rstrip": .bool(false),
                "normalized": .bool(false), "special": .bool(true),
            ])
        }
    }

    static func normalizer(_ model: SentencePieceModelFile) -> JSONValue {
        var steps: [JSONValue] = []
        if !model.precompiledCharsMap.isEmpty {
            steps.append(
                .object([
                    "type": .string("Precompiled"),
                    "precompiled_charsmap": .string(Data(model.precompiledCharsMap).base64EncodedString()),
                ]))
        }
        if model.removeExtraWhitespaces {
            // libsentencepiece drops leading and trailing spaces and keeps one of each run; its
            // whitespace is the space alone (after the character map), so the patterns are spaces too.
            steps.append(replace(regex: "^ +| +$", with: ""))
            steps.append(replace(regex: " {2,}", with: " "))
        }
        if model.addDummyPrefix { steps.append(.object(["type": .string("Prepend"), "prepend": .string(metaspace)])) }
        steps.append(
            .object([
                "type": .string("Replace"), "pattern": .object(["String": .string(" ")]),
                "content": .string(metaspace),
            ]))
        return .object(["type": .string("Sequence"), "normalizers": .array(steps)])
    }

    static func replace(regex: String, with content: String) -> JSONValue {
        .object([
            "type": .string("Replace"), "pattern": .object(["Regex": .string(regex)]), "content": .string(content),
        ])
    }

    static func postProcessor(eos: String, id: UInt32) -> JSONValue {
        func sequence(_ name: String, _ type: Int64) -> JSONValue {
            .object(["Sequence": .object(["id": .string(name), "type_id": .int(type)])])
        }
        func special(_ type: Int64) -> JSONValue {
            .object(["SpecialToken": .object(["id": .string(eos), "type_id": .int(type)])])
        }
        return .object([
            "type": .string("TemplateProcessing"),
            "single": .array([sequence("A", 0), special(0)]),
            "pair": .array([sequence("A", 0), special(0), sequence("B", 1), special(1)]),
            "special_tokens": .object([
                eos: .object([
                    "id": .string(eos), "ids": .array([.int(Int64(id))]), "tokens": .array([.string(eos)]),
                ])
            ]),
        ])
    }

    static func decoder(_ model: SentencePieceModelFile) -> JSONValue {
        var steps: [JSONValue] = [
            .object([
                "type": .string("Replace"), "pattern": .object(["String": .string(metaspace)]),
                "content": .string(" "),
            ]),
            .object(["type": .string("ByteFallback")]),
            .object(["type": .string("Fuse")]),
        ]
        if model.addDummyPrefix {
            steps.append(
                .object(["type": .string("Strip"), "content": .string(" "), "start": .int(1), "stop": .int(0)]))
        }
        return .object(["type": .string("Sequence"), "decoders": .array(steps)])
    }
}
