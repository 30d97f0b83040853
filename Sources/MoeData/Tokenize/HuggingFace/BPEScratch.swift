/// One thread's buffers for BPE words, and its cache of words already encoded (the library keeps
/// one too; a cache changes no id, it only spares the merging of frequent words).
final class BPEScratch {
    var symbols: [UInt32] = []
    /// rank << 32 | merged id of each pair of neighbours (`UInt64.max`: no merge).
    var pairs: [UInt64] = []
    var previous: [Int32] = []
    var next: [Int32] = []
    var heap: [UInt64] = []
    /// A word in the vocabulary's spelling (byte-level: GPT-2's alphabet).
    var spelled: [UInt8] = []
    var piece: [UInt8] = []

    /// Encoded words: word bytes → offset << 32 | count into `cachedIds`.
    var cache = ByteStringMap(minimumCapacity: 4096)
    var cachedIds: [UInt32] = []
    /// Words longer than this are not cached (the library's limit).
    static let maxCachedWordBytes = 256
    /// The cache starts over past this many words, so it stays small (the library keeps 10,000).
    static let maxCachedWords = 1 << 16

    func remember(_ word: UnsafePointer<UInt8>, _ count: Int, ids: ArraySlice<UInt32>) {
        guard count < Self.maxCachedWordBytes else { return }
        if cache.count >= Self.maxCachedWords {
            cache.removeAll()
            cachedIds.removeAll(keepingCapacity: true)
        }
        cache.set(word, count, to: UInt64(cachedIds.count) << 32 | UInt64(ids.count))
        cachedIds.append(contentsOf: ids)
    }
}
