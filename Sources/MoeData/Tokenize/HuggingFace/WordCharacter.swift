/// Character tests of the tokenizers library's added-token matching, which uses Rust's `regex`:
/// `\w` for `single_word` and `\s` for `lstrip`/`rstrip`, both Unicode-aware.
enum WordCharacter {
    /// `\w`: Alphabetic, marks, decimal digits, connector punctuation, and the joiners.
    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isAlphabetic || scalar.value == 0x200C || scalar.value == 0x200D { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// The first scalar of valid UTF-8 `text[from...]`.
    static func first(_ text: UnsafeBufferPointer<UInt8>, from: Int) -> Unicode.Scalar? {
        guard from < text.count else { return nil }
        var decoder = UTF8()
        var iterator = text[from...].makeIterator()
        if case .scalarValue(let s) = decoder.decode(&iterator) { return s }
        return nil
    }

    /// The last scalar of valid UTF-8 `text[..<before]` and where it starts.
    static func last(_ text: UnsafeBufferPointer<UInt8>, before: Int) -> (scalar: Unicode.Scalar, start: Int)? {
        guard before > 0 else { return nil }
        var start = before - 1
        while start > 0 && text[start] & 0xC0 == 0x80 { start -= 1 }
        guard let scalar = first(text, from: start) else { return nil }
        return (scalar, start)
    }
}
