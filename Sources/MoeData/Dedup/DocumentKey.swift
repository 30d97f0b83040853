/// A document's place in the survival order, as one integer: the source's rank (the `keep` list
/// first, in its order, then the other sources in manifest order) above the document's canonical
/// number. The smallest key of a group of duplicates survives. Written big-endian in records, so
/// records sort by it.
struct DocumentKey: Hashable, Comparable, Sendable {
    static let ordinalBits = 48
    let value: UInt64

    init(value: UInt64) { self.value = value }

    init(rank: Int, ordinal: Int) {
        value = UInt64(rank) << UInt64(Self.ordinalBits) | UInt64(ordinal)
    }

    var rank: Int { Int(value >> UInt64(Self.ordinalBits)) }
    var ordinal: Int { Int(value & ((1 << UInt64(Self.ordinalBits)) - 1)) }

    static func < (a: DocumentKey, b: DocumentKey) -> Bool { a.value < b.value }
}
