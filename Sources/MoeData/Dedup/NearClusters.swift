import Foundation

/// Near dedup: the band records of every source sorted by (scope, band, bucket key, document key),
/// so each run of equal (scope, band, bucket) is one bucket of candidates. Each candidate is
/// checked against the bucket's first member (or, failing that, the one before it): a pair whose
/// signatures agree on at least `threshold` of their values is joined (union-find). In each cluster
/// the smallest key survives; the others are removed with the estimated Jaccard similarity to it.
struct NearClusters {
    let sort: ExternalSort
    let threshold: Double
    /// A document's signature by its key.
    let signature: (DocumentKey) throws -> [UInt64]

    func removals(_ inputs: [URL], excluded: Set<DocumentKey>) throws -> [DedupRemoval] {
        let merge = try sort.sorted(inputs)
        var clusters = UnionFind()
        var bucket: ArraySlice<UInt8> = []
        var members: [DocumentKey] = []
        func close() throws {
            guard members.count > 1 else { return }
            let first = try signature(members[0])
            var previous = first
            for i in 1..<members.count {
                let current = try signature(members[i])
                if MinHasher.similarity(first, current) >= threshold {
                    clusters.union(members[0], members[i])
                } else if i > 1 && MinHasher.similarity(previous, current) >= threshold {
                    clusters.union(members[i - 1], members[i])
                }
                previous = current
            }
        }
        while let record = try merge.next() {
            let key = DocumentKey(value: record[...].bigEndianUInt64(at: 11))
            guard !excluded.contains(key) else { continue }
            let prefix = record[0..<11]
            if prefix != bucket {
                try close()
                bucket = prefix
                members.removeAll(keepingCapacity: true)
            }
            members.append(key)
        }
        try close()
        return try clusters.members().map { member, root in
            DedupRemoval(
                key: member, kind: .near, kept: root, passage: nil,
                jaccard: MinHasher.similarity(try signature(member), try signature(root)), removed: true)
        }
    }
}
