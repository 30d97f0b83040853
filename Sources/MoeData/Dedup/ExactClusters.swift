import Foundation

/// Exact dedup: the exact records of every source sorted by (scope, hash, document key), so each
/// run of equal (scope, hash) is one group of copies, and its first document, the smallest key,
/// survives.
struct ExactClusters {
    let sort: ExternalSort

    /// The removals, skipping the documents in `excluded` (removed already as contaminated).
    func removals(_ inputs: [URL], excluded: Set<DocumentKey>) throws -> [DedupRemoval] {
        let merge = try sort.sorted(inputs)
        var removals: [DedupRemoval] = []
        var group: ArraySlice<UInt8> = []
        var survivor: DocumentKey?
        while let record = try merge.next() {
            let key = DocumentKey(value: record[...].bigEndianUInt64(at: 34))
            guard !excluded.contains(key) else { continue }
            let prefix = record[0..<34]
            if prefix == group, let survivor {
                removals.append(
                    DedupRemoval(key: key, kind: .exact, kept: survivor, passage: nil, jaccard: 1, removed: true))
            } else {
                group = prefix
                survivor = key
            }
        }
        return removals
    }
}
