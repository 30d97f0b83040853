/// A tokenizer.json's `Metaspace` pre-tokenizer (SentencePiece-style models): spaces become the
/// replacement character (`▁`), which is put before the text by `prepend_scheme`, and with `split`
/// each word starts at a `▁` (the library's split "merged with next").
struct MetaspaceSpec: Sendable, Equatable {
    enum Prepend: String, Sendable {
        /// Before every stretch of text between added tokens that does not start with it.
        case always
        /// Only before the stretch at the start of the text.
        case first
        case never
    }

    var replacement: [UInt8]
    var prepend: Prepend
    var split: Bool

    init(_ object: TokenizerJSONObject) throws {
        let character = try object.string("replacement")
        guard character.unicodeScalars.count == 1 else { throw object.error("replacement is not one character") }
        replacement = Array(character.utf8)
        let scheme = try object.optionalString("prepend_scheme") ?? "always"
        guard let known = Prepend(rawValue: scheme) else {
            throw object.unsupported("Metaspace prepend_scheme \(scheme)", supported: "always, first, never")
        }
        // Files written before prepend_scheme: add_prefix_space false means never.
        prepend = try object.bool("add_prefix_space", default: true) ? known : .never
        split = try object.bool("split", default: true)
    }

    /// `text` with spaces replaced and the prefix put in front as the scheme says (`atStart`: the
    /// stretch starts the text), into `out`.
    func apply(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        let starts = text.count >= replacement.count && text[0..<replacement.count].elementsEqual(replacement)
        if !starts && (prepend == .always || (prepend == .first && atStart)) && !(text.first == 0x20) {
            out.append(contentsOf: replacement)
        }
        for b in text {
            if b == 0x20 { out.append(contentsOf: replacement) } else { out.append(b) }
        }
    }

    /// Where the word that starts at `i` ends: before the next replacement character (`split`), or at the end.
    func wordEnd(_ text: UnsafeBufferPointer<UInt8>, from i: Int) -> Int {
        guard split else { return text.count }
        var j = i + 1
        let first = replacement[0]
        while j < text.count {
            if text[j] == first && j + replacement.count <= text.count
                && text[j..<(j + replacement.count)].elementsEqual(replacement)
            {
                return j
            }
            j += 1
        }
        return text.count
    }
}
