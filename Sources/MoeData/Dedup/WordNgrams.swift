import FileSupport

/// The hashes of a document's word n-grams: near dedup's shingles and the decontamination n-grams
/// (and of its token-id n-grams, for `shingles: tokens`).
/// Each word is hashed once (XXH64), and an n-gram's hash mixes its words' hashes in order, so a
/// document costs one hash per word plus n mixes per n-gram, not a hash of n words per n-gram.
enum WordNgrams {
    /// One hash per window of `n` words; with `shortAsOne`, a text of fewer (but some) words is one
    /// n-gram of all of them (near dedup), else it has none (decontamination).
    static func hashes(_ words: [ArraySlice<UInt8>], n: Int, shortAsOne: Bool) -> [UInt64] {
        hashes(of: words.map { word in word.withUnsafeBytes { XXH64.hash($0) } }, n: n, shortAsOne: shortAsOne)
    }

    /// The same for token ids (near dedup's `shingles: tokens`): each id hashed as its 4 little-endian
    /// bytes, then mixed in windows of `n` as words are.
    static func hashes(tokenIds: [UInt32], n: Int) -> [UInt64] {
        let idHashes = tokenIds.map { id in withUnsafeBytes(of: id.littleEndian) { XXH64.hash($0) } }
        return hashes(of: idHashes, n: n, shortAsOne: true)
    }

    /// One hash per window of `n` of the items' hashes (see `hashes(_:n:shortAsOne:)`).
    static func hashes(of wordHashes: [UInt64], n: Int, shortAsOne: Bool) -> [UInt64] {
        guard !wordHashes.isEmpty, wordHashes.count >= n || shortAsOne else { return [] }
        let width = min(n, wordHashes.count)
        return (0...(wordHashes.count - width)).map { start in
            var hash = UInt64(width)
            for i in start..<(start + width) { hash = mix(hash, wordHashes[i]) }
            return hash
        }
    }

    /// Folds one more word's hash into an n-gram's (order matters: `a b` and `b a` differ).
    @inline(__always) static func mix(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        var x = (hash &* 0x9E37_79B9_7F4A_7C15) ^ word
        x ^= x >> 31
        x = x &* 0xBF58_476D_1CE4_E5B9
        return x ^ (x >> 29)
    }
}
