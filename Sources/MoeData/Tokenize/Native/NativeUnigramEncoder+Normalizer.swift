/// Normalization as libsentencepiece's `normalizer.cc` does it, into a scratch buffer.
extension NativeUnigramEncoder {
    /// One normalization step at `input` (Normalizer::NormalizePrefix): the replacement bytes
    /// and how many input bytes they replace.
    @inline(__always)
    private func normalizePrefix(_ input: UnsafePointer<UInt8>, _ count: Int)
        -> (replacement: UnsafePointer<UInt8>, length: Int, consumed: Int)
    {
        if passThrough[Int(input[0])] && (count == 1 || input[1] < 0x80) { return (input, 1, 1) }
        if let userSymbols {
            let n = userSymbols.longestPrefixLength(input, count)
            if n > 0 { return (input, n, n) }
        }
        if let charsMap {
            let rule = charsMap.longestMatch(input, count)
            if rule.length > 0 {
                let replacement = UnsafePointer(charsMap.replacements.baseAddress! + rule.start)
                return (replacement, rule.end - rule.start, rule.length)
            }
        }
        let n = Self.validCharacterLength(input, count)
        if n == 0 { return (UnsafePointer(replacementCharacter.baseAddress!), 3, 1) }
        return (input, n, n)
    }

    /// Length of the well-formed UTF-8 character at `p` (string_util::DecodeUTF8), or 0 when it
    /// is malformed: truncated, overlong, a surrogate, or above U+10FFFF.
    @inline(__always)
    static func validCharacterLength(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
        let b0 = UInt32(p[0])
        if b0 < 0x80 { return 1 }
        @inline(__always) func trail(_ i: Int) -> Bool { (p[i] & 0xC0) == 0x80 }
        @inline(__always) func valid(_ c: UInt32) -> Bool { c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF) }
        if count >= 2 && (b0 & 0xE0) == 0xC0 {
            let c = (b0 & 0x1F) << 6 | UInt32(p[1] & 0x3F)
            return trail(1) && c >= 0x80 && valid(c) ? 2 : 0
        } else if count >= 3 && (b0 & 0xF0) == 0xE0 {
            let c = (b0 & 0x0F) << 12 | UInt32(p[1] & 0x3F) << 6 | UInt32(p[2] & 0x3F)
            return trail(1) && trail(2) && c >= 0x800 && valid(c) ? 3 : 0
        } else if count >= 4 && (b0 & 0xF8) == 0xF0 {
            let c = (b0 & 0x07) << 18 | UInt32(p[1] & 0x3F) << 12 | UInt32(p[2] & 0x3F) << 6 | UInt32(p[3] & 0x3F)
            return trail(1) && trail(2) && trail(3) && c >= 0x10000 && valid(c) ? 4 : 0
        }
        return 0
    }

    /// Writes the normalized form of `input[0..<count]` into `scratch.normalized`; returns its length.
    func normalize(_ input: UnsafePointer<UInt8>, _ count: Int, into scratch: ScratchPool.Scratch) -> Int {
        var pos = 0
        if removeExtraWhitespaces {
            while pos < count {
                let step = normalizePrefix(input + pos, count - pos)
                guard step.length == 1 && step.replacement[0] == 0x20 else { break }
                pos += step.consumed
            }
        }
        guard pos < count else { return 0 }
        let escape = escapeWhitespaces
        // A step writes at most 3 bytes per replacement byte; the buffer grows ahead of a step.
        var dst = scratch.reserveNormalized(3 + 3 * 64)
        var capacity = scratch.normalizedCapacity
        var out = 0
        if !whitespaceAsSuffix && addDummyPrefix {
            if escape {
                dst[0] = 0xE2; dst[1] = 0x96; dst[2] = 0x81
                out = 3
            } else {
                dst[0] = 0x20
                out = 1
            }
        }
        var isPrevSpace = removeExtraWhitespaces
        while pos < count {
            let step = normalizePrefix(input + pos, count - pos)
            var p = step.replacement
            var n = step.length
            if isPrevSpace {
                while n > 0 && p[0] == 0x20 { p += 1; n -= 1 }
            }
            if n > 0 {
                if out + 3 * n + 3 > capacity {
                    dst = scratch.reserveNormalized(out + 3 * n + 3)
                    capacity = scratch.normalizedCapacity
                }
                for i in 0..<n {
                    let b = p[i]
                    if escape && b == 0x20 {
                        dst[out] = 0xE2; dst[out + 1] = 0x96; dst[out + 2] = 0x81
                        out += 3
                    } else {
                        dst[out] = b
                        out += 1
                    }
                }
                isPrevSpace = p[n - 1] == 0x20
            }
            pos += step.consumed
            if !removeExtraWhitespaces { isPrevSpace = false }
        }
        if removeExtraWhitespaces {
            if escape {
                while out >= 3 && dst[out - 3] == 0xE2 && dst[out - 2] == 0x96 && dst[out - 1] == 0x81 { out -= 3 }
            } else {
                while out >= 1 && dst[out - 1] == 0x20 { out -= 1 }
            }
        }
        if whitespaceAsSuffix && addDummyPrefix {
            if escape {
                dst[out] = 0xE2; dst[out + 1] = 0x96; dst[out + 2] = 0x81
                out += 3
            } else {
                dst[out] = 0x20
                out += 1
            }
        }
        return out
    }
}
