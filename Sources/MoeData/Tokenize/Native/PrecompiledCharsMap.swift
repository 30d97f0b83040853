/// SentencePiece's `precompiled_charsmap`: the normalization rules of a model (`nmt_nfkc`,
/// `nfkc`, their `_cf` case-folding variants, or a custom TSV) compiled into a darts-clone
/// double-array trie whose values point into a blob of NUL-terminated replacement strings.
///
/// Layout: a little-endian UInt32 `trie_size`, then `trie_size` bytes of 32-bit darts-clone
/// units, then the replacement blob. The trie is read as stored (not rebuilt), so lookups follow
/// exactly the transitions libsentencepiece follows.
final class PrecompiledCharsMap: @unchecked Sendable {
    private let units: UnsafeMutableBufferPointer<UInt32>
    /// The replacement strings, with a NUL appended so every one ends inside the buffer.
    let replacements: UnsafeMutableBufferPointer<UInt8>

    init(_ blob: [UInt8], path: String) throws {
        func bad(_ why: String) -> MoeDataError {
            MoeDataError(
                "tokenizer model \(path) is not a valid SentencePiece model: normalizer_spec.precompiled_charsmap "
                    + "\(why)"
            )
        }
        guard blob.count > 4 else { throw bad("is \(blob.count) bytes, too short for its header") }
        let trieSize = Int(blob[0]) | Int(blob[1]) << 8 | Int(blob[2]) << 16 | Int(blob[3]) << 24
        guard trieSize % 4 == 0, trieSize >= 4, trieSize <= blob.count - 4 else {
            throw bad("declares a \(trieSize)-byte trie but holds \(blob.count - 4) bytes after its header")
        }
        units = .allocate(capacity: trieSize / 4)
        for i in 0..<units.count {
            let o = 4 + 4 * i
            units[i] =
                UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16 | UInt32(blob[o + 3]) << 24
        }
        replacements = .allocate(capacity: blob.count - 4 - trieSize + 1)
        _ = replacements.initialize(from: blob[(4 + trieSize)...] + [0])
    }

    deinit {
        units.deallocate()
        replacements.deallocate()
    }

    /// The longest rule matching a prefix of `input[0..<count]`: its length in input bytes and
    /// the range of its replacement in `replacements`, or length 0 when no rule matches.
    /// Follows darts-clone's `commonPrefixSearch` (label check, offset xor), keeping the longest.
    @inline(__always)
    func longestMatch(_ input: UnsafePointer<UInt8>, _ count: Int) -> (length: Int, start: Int, end: Int) {
        let u = units
        let n = u.count
        var id = 0
        var unit = u[0]
        id ^= Self.offset(unit)
        var best = -1
        var bestValue = 0
        for i in 0..<count {
            let c = Int(input[i])
            id ^= c
            guard id < n else { break }
            unit = u[id]
            guard (unit & 0x8000_00FF) == UInt32(c) else { break }
            id ^= Self.offset(unit)
            guard id < n else { break }
            if (unit >> 8) & 1 == 1 {
                best = i + 1
                bestValue = Int(u[id] & 0x7FFF_FFFF)
            }
        }
        guard best > 0, bestValue < replacements.count - 1 else { return (0, 0, 0) }
        let start = bestValue
        var end = start
        while replacements[end] != 0 { end += 1 }
        return (best, start, end)
    }

    /// True when byte `b` followed by any ASCII byte (or nothing) matches no rule: no rule is
    /// `b` alone and no rule continues from `b` with an ASCII byte. Such a `b` before ASCII
    /// text normalizes to itself without a trie walk.
    func isInertBeforeASCII(_ b: UInt8) -> Bool {
        let id = Self.offset(units[0]) ^ Int(b)
        guard id < units.count, (units[id] & 0x8000_00FF) == UInt32(b) else { return true }  // no rule starts with b
        let unit = units[id]
        if (unit >> 8) & 1 == 1 { return false }  // a rule is exactly b
        let child = id ^ Self.offset(unit)
        for c in 0..<0x80 {
            let next = child ^ c
            if next < units.count && (units[next] & 0x8000_00FF) == UInt32(c) { return false }
        }
        return true
    }

    @inline(__always)
    private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & (1 << 9)) >> 6))
    }
}
