/// Applies a `TextNormalization` to a document's UTF-8 bytes. Each rule is the README's and the
/// tests' Python reference's (`str.isspace`, `str.lower` of one character, `unicodedata.category`),
/// character by character, so the hashes of both agree document for document.
enum TextNormalizer {
    static func normalize(_ text: [UInt8], _ normalization: TextNormalization) -> [UInt8] {
        switch normalization {
        case .none: return text
        case .whitespace: return collapsed(text, fold: false)
        case .fineweb: return collapsed(text, fold: true)
        }
    }

    /// The words of the fineweb normalization: what near dedup's shingles and the decontamination
    /// n-grams are cut from.
    static func words(_ text: [UInt8]) -> [ArraySlice<UInt8>] {
        normalize(text, .fineweb).split(separator: 0x20)
    }

    /// The text with whitespace runs as one space and none at the ends; `fold` also lowercases,
    /// drops punctuation and writes decimal digits as 0. ASCII bytes go through a table; other
    /// characters are decoded (the text is valid UTF-8) and looked up in Unicode's properties.
    private static func collapsed(_ text: [UInt8], fold: Bool) -> [UInt8] {
        var out = Output(capacity: text.count)
        // Locals, not the statics: a static's every read checks its lazy initialization.
        let space = asciiSpace
        let folded = asciiFold
        text.withUnsafeBufferPointer { text in
            var i = 0
            while i < text.count {
                let byte = text[i]
                if byte < 0x80 {
                    i += 1
                    if space[Int(byte)] {
                        out.space()
                    } else if !fold {
                        out.put(byte)
                    } else if folded[Int(byte)] != dropped {
                        out.put(folded[Int(byte)])
                    }
                    continue
                }
                let (scalar, length) = decode(text, at: i)
                i += length
                guard fold else {
                    out.put(scalar)
                    continue
                }
                for lower in scalar.properties.lowercaseMapping.unicodeScalars {
                    switch lower.properties.generalCategory {
                    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                        .initialPunctuation, .finalPunctuation, .otherPunctuation:
                        continue
                    case .decimalNumber: out.put(UInt8(ascii: "0"))
                    default: out.put(lower)
                    }
                }
            }
        }
        return out.bytes
    }

    /// The normalized bytes as they are made: a space is written only before the next character, so
    /// runs collapse and none ends the text.
    private struct Output {
        var bytes: [UInt8] = []
        var pendingSpace = false

        init(capacity: Int) { bytes.reserveCapacity(capacity) }

        mutating func space() { pendingSpace = !bytes.isEmpty }

        @inline(__always) mutating func put(_ byte: UInt8) {
            if pendingSpace {
                bytes.append(0x20)
                pendingSpace = false
            }
            bytes.append(byte)
        }

        mutating func put(_ scalar: Unicode.Scalar) {
            if isSpace(scalar) { return space() }
            if pendingSpace {
                bytes.append(0x20)
                pendingSpace = false
            }
            UTF8.encode(scalar) { bytes.append($0) }
        }
    }

    /// The scalar starting at `i` of valid UTF-8 (not ASCII), and its length in bytes.
    private static func decode(_ text: UnsafeBufferPointer<UInt8>, at i: Int) -> (Unicode.Scalar, Int) {
        let lead = text[i]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        var value = UInt32(lead) & (0xFF >> UInt32(length + 1))
        for k in 1..<length where i + k < text.count { value = value << 6 | (UInt32(text[i + k]) & 0x3F) }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }

    /// Which ASCII bytes are whitespace (`isSpace`).
    private static let asciiSpace: [Bool] = (0..<128).map { isSpace(Unicode.Scalar(UInt8($0))) }

    /// Marks an ASCII byte the fineweb folding drops (no ASCII byte is 0xFF).
    private static let dropped: UInt8 = 0xFF

    /// The fineweb folding of each ASCII byte: itself, lowercased, `0` for a digit, `dropped` for punctuation.
    private static let asciiFold: [UInt8] = (0..<128).map { byte -> UInt8 in
        let scalar = Unicode.Scalar(UInt8(byte))
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return dropped
        case .decimalNumber: return 0x30
        default: return (0x41...0x5A).contains(byte) ? UInt8(byte + 32) : UInt8(byte)
        }
    }

    /// Python's `str.isspace`: the characters `str.split()` splits on.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default: return false
        }
    }
}
