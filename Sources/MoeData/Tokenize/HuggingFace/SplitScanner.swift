/// The pieces a `Split` pre-tokenizer with a known pattern (`SplitPattern`) and the `Isolated`
/// behavior cuts valid UTF-8 text into: the matches of Oniguruma's leftmost-first `find_iter`.
/// Every character of the text is in some match for these patterns, so the pieces tile the text and
/// the scanner only has to say where each one ends.
///
/// Each `...End(from:)` follows the alternatives of its regex in order, the first that matches at
/// `i` giving the piece, with the backtracking of `\s+(?!\S)` and `\s*[\r\n]+` worked out.
struct SplitScanner {
    let text: UnsafePointer<UInt8>
    let end: Int

    /// Where the piece that starts at `i` (`i < end`) ends.
    @inline(__always)
    func pieceEnd(from i: Int, pattern: SplitPattern) -> Int {
        switch pattern {
        case .gpt2: gpt2End(from: i)
        case .llama3: llama3End(from: i, maxDigits: 3)
        case .qwen2: llama3End(from: i, maxDigits: 1)
        }
    }

    /// The class of the character at `i` and its length in bytes.
    @inline(__always)
    func character(at i: Int) -> (kind: ScalarClass, length: Int) {
        let b0 = UInt32(text[i])
        if b0 < 0x80 { return (ScalarClassTable.basic[Int(b0)], 1) }
        if b0 < 0xE0 {
            return (ScalarClassTable.basic[Int((b0 & 0x1F) << 6 | UInt32(text[i + 1] & 0x3F))], 2)
        }
        if b0 < 0xF0 {
            let v = (b0 & 0x0F) << 12 | UInt32(text[i + 1] & 0x3F) << 6 | UInt32(text[i + 2] & 0x3F)
            return (ScalarClassTable.basic[Int(v)], 3)
        }
        let v =
            (b0 & 0x07) << 18 | UInt32(text[i + 1] & 0x3F) << 12 | UInt32(text[i + 2] & 0x3F) << 6
            | UInt32(text[i + 3] & 0x3F)
        return (ScalarClassTable.of(v), 4)
    }

    /// The end of the run of characters of class `kind` that starts at `j`.
    @inline(__always)
    func runEnd(of kind: ScalarClass, from j: Int) -> Int {
        var j = j
        while j < end {
            let c = character(at: j)
            guard c.kind == kind else { break }
            j += c.length
        }
        return j
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` after the apostrophe at `j - 1`: the end of the match, or nil.
    /// With `foldCase` (`(?i:...)`), upper case too, and `ſ` (U+017F), whose case fold is `s`.
    @inline(__always)
    func contractionEnd(after j: Int, foldCase: Bool) -> Int? {
        guard j < end else { return nil }
        @inline(__always) func letter(at k: Int) -> UInt8? {
            guard k < end else { return nil }
            let b = text[k]
            return foldCase && b >= 0x41 && b <= 0x5A ? b | 0x20 : b
        }
        switch letter(at: j) {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"): return j + 1
        case UInt8(ascii: "r"), UInt8(ascii: "v"): return letter(at: j + 1) == UInt8(ascii: "e") ? j + 2 : nil
        case UInt8(ascii: "l"): return letter(at: j + 1) == UInt8(ascii: "l") ? j + 2 : nil
        case 0xC5: return foldCase && j + 1 < end && text[j + 1] == 0xBF ? j + 2 : nil
        default: return nil
        }
    }

    /// `\s+(?!\S)|\s+` at the whitespace character at `i` (of length `n`): the whole run when the
    /// text ends after it or it is one character long, else all of it but its last character,
    /// which goes with the word that follows.
    @inline(__always)
    func whitespaceEnd(from i: Int, length n: Int) -> Int {
        var j = i + n
        var lastStart = i
        while j < end {
            let c = character(at: j)
            guard c.kind.isSpace else { break }
            lastStart = j
            j += c.length
        }
        return j == end || lastStart == i ? j : lastStart
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    func gpt2End(from i: Int) -> Int {
        let b = text[i]
        if b == UInt8(ascii: "'"), let e = contractionEnd(after: i + 1, foldCase: false) { return e }
        let c = character(at: i)
        if b == 0x20 && i + 1 < end {
            let next = character(at: i + 1)
            if !next.kind.isSpace { return runEnd(of: next.kind, from: i + 1 + next.length) }
        }
        if !c.kind.isSpace { return runEnd(of: c.kind, from: i + c.length) }
        return whitespaceEnd(from: i, length: c.length)
    }

    /// Llama 3's pattern with `\p{N}{1,maxDigits}` (Qwen2: one digit):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|`
    /// `\s*[\r\n]+|\s+(?!\S)|\s+`
    func llama3End(from i: Int, maxDigits: Int) -> Int {
        let b = text[i]
        if b == UInt8(ascii: "'"), let e = contractionEnd(after: i + 1, foldCase: true) { return e }
        let c = character(at: i)
        switch c.kind {
        case .letter:
            return runEnd(of: .letter, from: i + c.length)
        case .number:
            var j = i + c.length
            var digits = 1
            while digits < maxDigits && j < end {
                let d = character(at: j)
                guard d.kind == .number else { break }
                j += d.length
                digits += 1
            }
            return j
        case .other, .space:
            // One character that is no letter, digit or line break, then letters.
            if i + c.length < end {
                let next = character(at: i + c.length)
                if next.kind == .letter { return runEnd(of: .letter, from: i + c.length + next.length) }
                // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
                if c.kind == .other || (b == 0x20 && next.kind == .other) {
                    var j = runEnd(of: .other, from: i + c.length)
                    while j < end && (text[j] == 0x0D || text[j] == 0x0A) { j += 1 }
                    return j
                }
            } else if c.kind == .other {
                return i + c.length
            }
        case .lineBreak:
            break
        }
        return llama3WhitespaceEnd(from: i, length: c.length)
    }

    /// `\s*[\r\n]+|\s+(?!\S)|\s+` at the whitespace character at `i`: up to the last line break of
    /// the whitespace run when it has one, else as `whitespaceEnd`.
    @inline(__always)
    func llama3WhitespaceEnd(from i: Int, length n: Int) -> Int {
        var j = i
        var lastStart = i
        var lastBreakEnd = -1
        while j < end {
            let c = character(at: j)
            guard c.kind.isSpace else { break }
            if c.kind == .lineBreak { lastBreakEnd = j + 1 }
            lastStart = j
            j += c.length
        }
        if lastBreakEnd > 0 { return lastBreakEnd }
        return j == end || lastStart == i ? j : lastStart
    }
}
