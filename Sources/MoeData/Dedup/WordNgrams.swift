import FileSupport

/// The hashes of a document's word n-grams: near dedup's shingles and the decontamination n-grams.
/// Each word is hashed once (XXH64), and an n-gram's hash mixes its words' hashes in order, so a
/// document costs one hash per word plus n mixes per n-gram, not a hash of n words per n-gram.
enum WordNgrams {
    /// One hash per window of `n` words; with `shortAsOne`, a text of fewer (but some) words is one
    /// n-gram of all of them (near dedup), else it has none (decontamination).
    static func hashes(_ words: [ArraySlice<UInt8>], n: Int, shortAsOne: Bool) -> [UInt64] {
        guard !words.isEmpty, words.count >= n || shortAsOne else { return [] }
        let width = min(n, words.count)
        let wordHashes = words.map { word in word.withUnsafeBytes { XXH64.hash($0) } }
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
