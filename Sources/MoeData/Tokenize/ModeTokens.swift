/// UL2 mode tokens, prepended to a denoising example's inputs.
///
/// OpenMoE encoded them as plain text: `prepend_prompt` SentencePiece-encodes "[NLU] " and
/// prepends the ids (several pieces, no reserved ids). A model trained with the tokens as
/// user-defined symbols can instead give each a single reserved id; the mixture file chooses.
public enum ModeToken: String, CaseIterable, Sendable {
    case nlu = "[NLU]"
    case nlg = "[NLG]"
    case s2s = "[S2S]"

    /// The symbols to reserve at training time (`--mode-tokens reserved`).
    public static var symbols: [String] { allCases.map(\.rawValue) }
}

public enum ModeTokenEncoding: String, CaseIterable, Sendable, Codable {
    /// As OpenMoE: the prompt text "[NLU] " encoded by SentencePiece.
    case text
    /// One id per mode token: the model's user-defined piece of that name.
    case reserved
}

/// Precomputed mode-token ids for one tokenizer and encoding, so the objective stage only
/// looks them up.
public struct ModeTokenIds: Sendable, Equatable {
    public let encoding: ModeTokenEncoding
    private let ids: [ModeToken: [UInt32]]

    public init(tokenizer: Tokenizer, encoding: ModeTokenEncoding) throws {
        self.encoding = encoding
        var ids: [ModeToken: [UInt32]] = [:]
        for token in ModeToken.allCases {
            switch encoding {
            case .text:
                // The trailing space is part of OpenMoE's prompt string ("[NLU] ").
                ids[token] = try tokenizer.encode(token.rawValue + " ")
            case .reserved:
                guard let id = tokenizer.pieceId(token.rawValue), tokenizer.pieceKind(id) == .normal,
                    try tokenizer.encode(token.rawValue).last == id
                else {
                    throw MoeDataError(
                        "mode tokens are set to reserved ids, but tokenizer \(tokenizer.modelPath) has no piece "
                            + "\(token.rawValue); train it with `moe-data tokenizer train --mode-tokens reserved` "
                            + "or use mode tokens as text")
                }
                ids[token] = [id]
            }
        }
        self.ids = ids
    }

    public func ids(for token: ModeToken) -> [UInt32] { ids[token] ?? [] }
}
