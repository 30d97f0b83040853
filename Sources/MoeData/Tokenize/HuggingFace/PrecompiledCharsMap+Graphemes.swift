/// The tokenizers library's `Precompiled` normalizer (SentencePiece's character map as the
/// `spm_precompiled` crate applies it), which differs from libsentencepiece's: the text is taken one
/// extended grapheme cluster at a time; a cluster shorter than 6 bytes is replaced whole by the rule of
/// the *shortest* key that is a prefix of it (the rest of the cluster is dropped), and otherwise each of
/// its characters by its own rule, if any.
extension PrecompiledCharsMap {
    /// The replacement of the shortest key that is a prefix of `input[0..<count]`, or nil.
    func shortestMatch(_ input: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        guard let base = input.baseAddress else { return nil }
        for length in 1...input.count {
            let match = longestMatch(base, length)
            if match.length == length {
                return UnsafeBufferPointer(rebasing: replacements[match.start..<match.end])
            }
        }
        return nil
    }

    /// Bytes that map to themselves however the text goes on: ASCII that no rule starts with, when
    /// the next byte is ASCII too (so no combining character joins its cluster).
    func inertASCII() -> [Bool] {
        (0..<256).map { $0 < 0x80 && isInertBeforeASCII(UInt8($0)) }
    }

    /// `text` normalized into `out` (appended). `inert` is `inertASCII()`.
    func normalizeGraphemes(_ text: [UInt8], inert: [Bool], into out: inout [UInt8]) {
        var i = 0
        while i < text.count {
            if Self.isFast(text, i, inert) {
                out.append(text[i])
                i += 1
                continue
            }
            var end = i + 1
            while end < text.count && !Self.isFast(text, end, inert) { end += 1 }
            // A cluster goes on past an ASCII character only after CR (CR LF) or a Prepend character.
            while end < text.count, Self.joinsNext(Self.lastScalar(text, before: end)) {
                end += 1
                while end < text.count && !Self.isFast(text, end, inert) { end += 1 }
            }
            for cluster in String(decoding: text[i..<end], as: UTF8.self) {
                normalize(cluster, into: &out)
            }
            i = end
        }
    }

    @inline(__always)
    private static func isFast(_ text: [UInt8], _ i: Int, _ inert: [Bool]) -> Bool {
        inert[Int(text[i])] && (i + 1 == text.count || text[i + 1] < 0x80)
    }

    private func normalize(_ cluster: Character, into out: inout [UInt8]) {
        var bytes = Array(cluster.utf8)
        if bytes.count < 6, let rule = bytes.withUnsafeBufferPointer({ shortestMatch($0) }) {
            out.append(contentsOf: rule)
            return
        }
        for scalar in cluster.unicodeScalars {
            bytes = Array(String(scalar).utf8)
            if let rule = bytes.withUnsafeBufferPointer({ shortestMatch($0) }) {
                out.append(contentsOf: rule)
            } else {
                out.append(contentsOf: bytes)
            }
        }
    }

    private static func lastScalar(_ text: [UInt8], before end: Int) -> Unicode.Scalar {
        var start = end - 1
        while start > 0 && text[start] & 0xC0 == 0x80 { start -= 1 }
        return String(decoding: text[start..<end], as: UTF8.self).unicodeScalars.first ?? " "
    }

    /// CR, and the characters of Grapheme_Cluster_Break=Prepend (Unicode 15.1), which join the next.
    private static func joinsNext(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0D, 0x0600...0x0605, 0x06DD, 0x070F, 0x0890...0x0891, 0x08E2, 0x0D4E, 0x110BD, 0x110CD,
            0x111C2...0x111C3, 0x1193F, 0x11941, 0x11A3A, 0x11A84...0x11A89, 0x11D46, 0x11F02:
            return true
        default:
            return false
        }
    }
}
