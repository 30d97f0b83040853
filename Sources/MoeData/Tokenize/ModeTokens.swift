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

/// How mode prefixes become token ids (`mode_tokens` in a mixture; `ids(forPrefix:tokenizer:keyPath:)`).
public enum ModeTokenEncoding: String, CaseIterable, Sendable, Codable {
    /// As OpenMoE: the prompt text "[NLU] " encoded by SentencePiece.
    case text
    /// One id per mode token: the model's user-defined piece of that name.
    case reserved
}
