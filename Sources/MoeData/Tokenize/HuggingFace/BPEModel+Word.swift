/// Encoding one word: `BPE::tokenize` of the tokenizers library.
extension BPEModel {
    /// Appends the ids of `word` (raw UTF-8 bytes; the model spells them in its alphabet) to `out`.
    func encode(word: UnsafePointer<UInt8>, count: Int, into out: inout [UInt32], scratch: BPEScratch) {
        guard count > 0 else { return }
        if let hit = scratch.cache.value(word, count) {
            let start = Int(hit >> 32)
            out.append(contentsOf: scratch.cachedIds[start..<(start + Int(hit & 0xFFFF_FFFF))])
            return
        }
        let first = out.count
        spell(word, count, into: &scratch.spelled)
        let whole = ignoreMerges ? scratch.spelled.withUnsafeBufferPointer(id) : nil
        if let whole {
            out.append(whole)
        } else {
            initialSymbols(word, count, scratch)
            if scratch.symbols.count <= 64 { mergeShort(scratch) } else { mergeLong(scratch) }
            out.append(contentsOf: scratch.symbols)
        }
        scratch.remember(word, count, ids: out[first...])
    }

    /// The word as the vocabulary spells it: byte-level models write each byte as its character.
    private func spell(_ word: UnsafePointer<UInt8>, _ count: Int, into spelled: inout [UInt8]) {
        spelled.removeAll(keepingCapacity: true)
        guard byteLevel else {
            spelled.append(contentsOf: UnsafeBufferPointer(start: word, count: count))
            return
        }
        for i in 0..<count { spelled.append(contentsOf: ByteLevelAlphabet.utf8[Int(word[i])]) }
    }

    /// One id per character of the word (`BPE::merge_word` before merging).
    private func initialSymbols(_ word: UnsafePointer<UInt8>, _ count: Int, _ scratch: BPEScratch) {
        scratch.symbols.removeAll(keepingCapacity: true)
        if let byteIds {
            for i in 0..<count { scratch.symbols.append(byteIds[Int(word[i])]) }
            return
        }
        // Characters in the vocabulary's spelling: for byte-level models each byte's character
        // (one or two UTF-8 bytes), else the text's own characters.
        var characters: [Range<Int>] = []
        scratch.spelled.withUnsafeBufferPointer { spelled in
            var i = 0
            while i < spelled.count {
                let lead = spelled[i]
                let n = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
                characters.append(i..<min(i + n, spelled.count))
                i += n
            }
        }
        var unknown: UInt32? = nil
        for (k, range) in characters.enumerated() {
            scratch.piece.removeAll(keepingCapacity: true)
            if k > 0 { scratch.piece.append(contentsOf: prefix) }
            scratch.piece.append(contentsOf: scratch.spelled[range])
            if k == characters.count - 1 { scratch.piece.append(contentsOf: suffix) }
            if let known = scratch.piece.withUnsafeBufferPointer(id) {
                if let pending = unknown { scratch.symbols.append(pending) }
                unknown = nil
                scratch.symbols.append(known)
                continue
            }
            if let fallbackIds, scratch.piece.allSatisfy({ fallbackIds[Int($0)] != UInt32.max }) {
                // As the library: the pending unknown piece stays pending across fallback bytes.
                for b in scratch.piece { scratch.symbols.append(fallbackIds[Int(b)]) }
                continue
            }
            guard let unknownId else { continue }  // no unknown piece: the library drops the character
            if let pending = unknown, !fuseUnknown { scratch.symbols.append(pending) }
            unknown = unknownId
        }
        if let pending = unknown { scratch.symbols.append(pending) }
    }

    /// Merging for short words: the rank of each pair kept in an array, the lowest (leftmost of
    /// equals) merged, then its two new pairs looked up.
    private func mergeShort(_ scratch: BPEScratch) {
        var n = scratch.symbols.count
        guard n >= 2 else { return }
        scratch.pairs.removeAll(keepingCapacity: true)
        for k in 0..<(n - 1) { scratch.pairs.append(merges.merge(scratch.symbols[k], scratch.symbols[k + 1])) }
        scratch.symbols.withUnsafeMutableBufferPointer { symbols in
            scratch.pairs.withUnsafeMutableBufferPointer { pairs in
                while n >= 2 {
                    var best = UInt64.max
                    var at = -1
                    for k in 0..<(n - 1) where pairs[k] < best {
                        best = pairs[k]
                        at = k
                    }
                    guard at >= 0 else { return }
                    symbols[at] = UInt32(truncatingIfNeeded: best)
                    for k in (at + 1)..<(n - 1) { symbols[k] = symbols[k + 1] }
                    for k in (at + 1)..<max(at + 1, n - 2) { pairs[k] = pairs[k + 1] }
                    n -= 1
                    if at > 0 { pairs[at - 1] = merges.merge(symbols[at - 1], symbols[at]) }
                    if at < n - 1 { pairs[at] = merges.merge(symbols[at], symbols[at + 1]) }
                }
            }
        }
        scratch.symbols.removeLast(scratch.symbols.count - n)
    }
}
