/// The merges of a BPE model: for a pair of ids, its rank (its place in the merge list; lower merges
/// first) and the id of the merged piece. Open addressing over 64-bit keys, read-only once built.
struct PairRankTable: Sendable {
    private var keys: [UInt64]
    /// rank << 32 | merged id.
    private var values: [UInt64]
    private let mask: Int
    private static let empty = UInt64.max

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: Self.empty, count: size)
        values = Array(repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Sets the merge of `(left, right)`; a pair listed twice keeps the later rank, as the library's map does.
    mutating func set(_ left: UInt32, _ right: UInt32, rank: UInt32, merged: UInt32) {
        let key = UInt64(left) << 32 | UInt64(right)
        var i = Self.slot(key, mask)
        while keys[i] != Self.empty && keys[i] != key { i = (i + 1) & mask }
        keys[i] = key
        values[i] = UInt64(rank) << 32 | UInt64(merged)
    }

    /// rank << 32 | merged id, or `UInt64.max` when the pair does not merge.
    @inline(__always)
    func merge(_ left: UInt32, _ right: UInt32) -> UInt64 {
        let key = UInt64(left) << 32 | UInt64(right)
        return keys.withUnsafeBufferPointer { keys in
            var i = Self.slot(key, mask)
            while true {
                let k = keys[i]
                if k == key { return values.withUnsafeBufferPointer { $0[i] } }
                if k == Self.empty { return UInt64.max }
                i = (i + 1) & mask
            }
        }
    }
}
