/// GPT-2's byte-level alphabet (`bytes_char` of the tokenizers library): each byte as one printable
/// character, the printable Latin-1 bytes as themselves and the others as U+0100 onwards. Byte-level
/// vocabularies spell pieces in it, `Ġ` for a space.
enum ByteLevelAlphabet {
    /// The character of each byte.
    static let characters: [Unicode.Scalar] = {
        var printable = Array(UInt8(ascii: "!")...UInt8(ascii: "~")) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for b in printable { table[Int(b)] = Unicode.Scalar(b) }
        var next: UInt32 = 256
        for b in 0...255 where !printable.contains(UInt8(b)) {
            table[b] = Unicode.Scalar(next) ?? " "
            printable.append(UInt8(b))
            next += 1
        }
        return table
    }()

    /// The UTF-8 of each byte's character (one or two bytes).
    static let utf8: [[UInt8]] = characters.map { Array(String(Character($0)).utf8) }

    /// The byte of each character of the alphabet.
    static let bytes: [Unicode.Scalar: UInt8] = Dictionary(
        uniqueKeysWithValues: characters.enumerated().map { ($1, UInt8($0)) })

    /// The bytes a piece spelled in the alphabet stands for, or nil when it has another character.
    static func decode(_ piece: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(piece.unicodeScalars.count)
        for scalar in piece.unicodeScalars {
            guard let b = bytes[scalar] else { return nil }
            out.append(b)
        }
        return out
    }
}
