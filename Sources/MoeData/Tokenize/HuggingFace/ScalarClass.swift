/// The classes of Unicode scalars that the Split patterns of GPT-2, Llama 3 and Qwen2 tell apart,
/// as Oniguruma (the regex engine of `tokenizers`) defines them: `\p{L}` (Lu Ll Lt Lm Lo), `\p{N}`
/// (Nd Nl No), `\s` (the White_Space property), with `\r` and `\n` apart because the Llama 3 and Qwen2
/// patterns name them. Everything else (punctuation, symbols, marks, controls) is `other`.
enum ScalarClass: UInt8 {
    case other = 0
    case letter = 1
    case number = 2
    /// Whitespace other than `\r` and `\n`.
    case space = 3
    /// `\r` or `\n` (whitespace too).
    case lineBreak = 4

    /// `\s`.
    var isSpace: Bool { rawValue >= ScalarClass.space.rawValue }

    /// The class of `scalar`, from Swift's Unicode tables.
    init(of scalar: Unicode.Scalar) {
        if scalar == "\r" || scalar == "\n" {
            self = .lineBreak
            return
        }
        let properties = scalar.properties
        if properties.isWhitespace {
            self = .space
            return
        }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: self = .letter
        case .decimalNumber, .letterNumber, .otherNumber: self = .number
        default: self = .other
        }
    }
}

/// `ScalarClass` of every scalar: a table for the Basic Multilingual Plane (built once, 64 KB), the
/// Unicode tables for the rest (emoji, historic scripts), which text seldom holds. The table is
/// written once, before first use, and only read after: safe to share between threads.
enum ScalarClassTable {
    nonisolated(unsafe) static let basic: UnsafeMutableBufferPointer<ScalarClass> = {
        let table = UnsafeMutableBufferPointer<ScalarClass>.allocate(capacity: 0x10000)
        for v in 0..<0x10000 {
            // Surrogates are no scalars; valid UTF-8 never decodes to one.
            table[v] = Unicode.Scalar(UInt32(v)).map(ScalarClass.init(of:)) ?? .other
        }
        return table
    }()

    @inline(__always)
    static func of(_ value: UInt32) -> ScalarClass {
        if value < 0x10000 { return basic[Int(value)] }
        return Unicode.Scalar(value).map(ScalarClass.init(of:)) ?? .other
    }
}
