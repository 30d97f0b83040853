import Foundation

extension ModeTokenEncoding {
    /// The token ids of a denoiser's mode prefix such as "[NLU] ": the text as the tokenizer encodes
    /// it, as OpenMoE did; or, when reserved, the single id of the tokenizer's piece named by the
    /// prefix without its spaces (a user-defined symbol, see `ModeToken.symbols`).
    /// - Parameter keyPath: where the encoding was chosen, to start the error message with.
    /// - Throws: `MoeDataError` when reserved ids are asked for and the tokenizer lacks the piece.
    public func ids(forPrefix prefix: String, tokenizer: Tokenizer, keyPath: String) throws -> [UInt32] {
        switch self {
        case .text:
            return try tokenizer.encodeShort(prefix)
        case .reserved:
            let symbol = prefix.trimmingCharacters(in: .whitespaces)
            guard let id = tokenizer.pieceId(symbol) else {
                throw MoeDataError(
                    "\(keyPath): reserved, but the tokenizer has no piece '\(symbol)'; train it with "
                        + "user_defined_symbols: [\(symbol)], or use mode_tokens: text")
            }
            return [id]
        }
    }

    /// The ids of each prefix, keyed by the prefix text (what `UL2Objective` takes).
    public func ids(
        forPrefixes prefixes: [String], tokenizer: Tokenizer,
        keyPath: String
    ) throws -> [String: [UInt32]] {
        var ids: [String: [UInt32]] = [:]
        for prefix in prefixes { ids[prefix] = try self.ids(forPrefix: prefix, tokenizer: tokenizer, keyPath: keyPath) }
        return ids
    }
}
