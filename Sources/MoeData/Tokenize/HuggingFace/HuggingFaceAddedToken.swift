/// One of a tokenizer.json's `added_tokens`: matched whole in the text before the model sees it, as
/// the tokenizers library matches them (leftmost, longest first).
struct HuggingFaceAddedToken: Sendable, Equatable {
    /// The id the tokenizers library gives it: the model's id of the same content, else the next id
    /// after the vocabulary (not necessarily the file's `id`, which the library only warns about).
    var id: UInt32
    let content: String
    /// `single_word`: matched only where no word character touches it; `lstrip`, `rstrip`: the match
    /// takes the whitespace before, after it; `normalized`: matched in the normalized text (else in the
    /// text as given); `special`: a control token (skipped when decoding by the library, kept by us).
    let singleWord, lstrip, rstrip, normalized, special: Bool

    init(_ object: TokenizerJSONObject, id: UInt32) throws {
        self.id = id
        content = try object.string("content")
        singleWord = try object.bool("single_word", default: false)
        lstrip = try object.bool("lstrip", default: false)
        rstrip = try object.bool("rstrip", default: false)
        special = try object.bool("special", default: false)
        normalized = try object.bool("normalized", default: !special)
    }
}
