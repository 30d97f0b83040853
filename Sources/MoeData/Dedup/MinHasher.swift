import FileSupport
import PackedFormat

/// MinHash over word n-grams, as FineWeb's near dedup computes it: each shingle (n consecutive words
/// of the fineweb normalization, or with `shingles: tokens` n consecutive token ids of the shards)
/// hashed to 61 bits (`WordNgrams`), each permutation
/// `(a·h + b) mod (2^61 − 1)` with seeded a and b, a document's signature the minimum of each.
/// Bands of `rowsPerBand` values are hashed into bucket keys: two documents are candidates when
/// they share a band's key.
struct MinHasher: Sendable {
    static let prime: UInt64 = (1 << 61) - 1
    let spec: DedupSpec.Near
    private let a: [UInt64]
    private let b: [UInt64]

    init(_ spec: DedupSpec.Near) {
        self.spec = spec
        var rng = KeyedRandom(seed: spec.seed, KeyedRandom.key("minhash-permutations"))
        a = (0..<spec.permutations).map { _ in 1 + rng.next() % (MinHasher.prime - 1) }
        b = (0..<spec.permutations).map { _ in rng.next() % MinHasher.prime }
    }

    /// The shingles' hashes, below 2^61: one per window of `ngram` words (a document of fewer words
    /// is one shingle; one without words has none).
    func shingles(_ words: [ArraySlice<UInt8>]) -> [UInt64] {
        WordNgrams.hashes(words, n: spec.ngram, shortAsOne: true).map { $0 & MinHasher.prime }
    }

    /// The same for a document's token ids (`shingles: tokens`): one per window of `ngram` ids.
    func shingles(tokenIds: [UInt32]) -> [UInt64] {
        WordNgrams.hashes(tokenIds: tokenIds, n: spec.ngram).map { $0 & MinHasher.prime }
    }

    /// The signature of a set of shingle hashes (empty for no shingles).
    func signature(_ shingles: [UInt64]) -> [UInt64] {
        guard !shingles.isEmpty else { return [] }
        var minimum = [UInt64](repeating: .max, count: spec.permutations)
        let count = spec.permutations
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                minimum.withUnsafeMutableBufferPointer { minimum in
                    for h in shingles {
                        for i in 0..<count {
                            let value = MinHasher.mod(a[i], h, b[i])
                            if value < minimum[i] { minimum[i] = value }
                        }
                    }
                }
            }
        }
        return minimum
    }

    /// One bucket key per band.
    func bandKeys(_ signature: [UInt64]) -> [UInt64] {
        let rows = spec.rowsPerBand
        return (0..<spec.bands).map { band in
            signature[(band * rows)..<((band + 1) * rows)].withUnsafeBytes { XXH64.hash($0) }
        }
    }

    /// The share of positions where two signatures agree: MinHash's estimate of their Jaccard similarity.
    static func similarity(_ x: [UInt64], _ y: [UInt64]) -> Double {
        guard !x.isEmpty, x.count == y.count else { return 0 }
        let equal = zip(x, y).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
        return Double(equal) / Double(x.count)
    }

    /// (a·h + b) mod (2^61 − 1) for a, h, b below 2^61, without overflow.
    @inline(__always) static func mod(_ a: UInt64, _ h: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: h)
        // 2^64 = 2^3 · 2^61 ≡ 8, and 2^61 ≡ 1 (mod 2^61 − 1).
        var x = (product.low & prime) + (product.low >> 61) + (product.high << 3) + b
        x = (x & prime) + (x >> 61)
        return x >= prime ? x - prime : x
    }
}
