/// Applies a `TextNormalization` to a document's UTF-8 bytes. Each rule is the README's and the
/// tests' Python reference's (`str.isspace`, `str.lower` of one character, `unicodedata.category`),
/// character by character, so the hashes of both agree document for document.
enum TextNormalizer {
    static func normalize(_ text: [UInt8], _ normalization: TextNormalization) -> [UInt8] {
        switch normalization {
        case .none: return text
        case .whitespace: return collapsed(String(decoding: text, as: UTF8.self).unicodeScalars, fold: false)
        case .fineweb: return collapsed(String(decoding: text, as: UTF8.self).unicodeScalars, fold: true)
        }
    }

    /// The words of the fineweb normalization: what near dedup's shingles and the decontamination
    /// n-grams are cut from.
    static func words(_ text: [UInt8]) -> [ArraySlice<UInt8>] {
        normalize(text, .fineweb).split(separator: 0x20)
    }

    /// The scalars with whitespace runs as one space and none at the ends; `fold` also lowercases,
    /// drops punctuation and writes decimal digits as 0.
    private static func collapsed(_ scalars: String.UnicodeScalarView, fold: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(scalars.count)
        var pendingSpace = false
        func append(_ scalar: Unicode.Scalar) {
            if isSpace(scalar) {
                pendingSpace = !out.isEmpty
                return
            }
            if pendingSpace {
                out.append(0x20)
                pendingSpace = false
            }
            if scalar.isASCII {
                out.append(UInt8(scalar.value))
            } else {
                out.append(contentsOf: String(Character(scalar)).utf8)
            }
        }
        for scalar in scalars {
            guard fold else {
                append(scalar)
                continue
            }
            if scalar.isASCII {
                let folded = asciiFold[Int(scalar.value)]
                if folded != dropped { append(Unicode.Scalar(folded)) }
                continue
            }
            for lower in scalar.properties.lowercaseMapping.unicodeScalars {
                switch lower.properties.generalCategory {
                case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                    .initialPunctuation, .finalPunctuation, .otherPunctuation:
                    continue
                case .decimalNumber: append("0")
                default: append(lower)
                }
            }
        }
        return out
    }

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
