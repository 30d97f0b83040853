import Foundation

/// An open-addressing hash map from byte strings to 64-bit values, for the hot lookups of the BPE
/// encoder: the vocabulary by piece text, and each thread's cache of encoded words. Keys are copied
/// into one arena; a lookup hashes the bytes in place and allocates nothing.
struct ByteStringMap {
    private struct Slot {
        var offset: UInt32
        var length: UInt32
        var hash: UInt64
        var value: UInt64
    }

    private var arena: [UInt8] = []
    private var slots: [Slot]
    private var mask: Int
    private(set) var count = 0
    /// Bytes of all keys.
    var keyBytes: Int { arena.count }

    private static let emptyLength = UInt32.max

    init(minimumCapacity: Int = 16) {
        var size = 16
        while size < minimumCapacity * 2 { size <<= 1 }
        slots = Array(repeating: Slot(offset: 0, length: Self.emptyLength, hash: 0, value: 0), count: size)
        mask = size - 1
    }

    mutating func removeAll() {
        arena.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i].length = Self.emptyLength }
        count = 0
    }

    /// A fast 64-bit hash of `n` bytes (8 at a time, multiply and rotate; well spread for table indices).
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h = (h << 31) | (h >> 33)
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(p[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 29)
    }

    /// The value of the key `p[0..<n]`, or nil.
    @inline(__always)
    func value(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64? {
        let h = Self.hash(p, n)
        return slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBufferPointer { arena in
                var i = Int(truncatingIfNeeded: h) & mask
                while true {
                    let slot = slots[i]
                    if slot.length == Self.emptyLength { return nil }
                    if slot.hash == h && Int(slot.length) == n && Self.equal(arena, slot.offset, p, n) {
                        return slot.value
                    }
                    i = (i + 1) & mask
                }
            }
        }
    }

    func value(_ key: [UInt8]) -> UInt64? {
        Self.withKey(key) { value($0, $1) }
    }

    @inline(__always)
    private static func equal(
        _ arena: UnsafeBufferPointer<UInt8>, _ offset: UInt32, _ p: UnsafePointer<UInt8>, _ n: Int
    )
        -> Bool
    {
        guard n > 0 else { return true }
        guard let base = arena.baseAddress else { return false }
        return memcmp(base + Int(offset), p, n) == 0
    }

    /// `key`'s bytes and count (an empty key gets a pointer to nothing that is never read).
    private static func withKey<R>(_ key: [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
        key.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { return body(base, buffer.count) }
            var nothing: UInt8 = 0
            return withUnsafePointer(to: &nothing) { body($0, 0) }
        }
    }

    /// Sets the value of `p[0..<n]` (a key set twice keeps the last value).
    mutating func set(_ p: UnsafePointer<UInt8>, _ n: Int, to value: UInt64) {
        if (count + 1) * 2 > slots.count { grow() }
        let h = Self.hash(p, n)
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i].length != Self.emptyLength {
            let slot = slots[i]
            if slot.hash == h && Int(slot.length) == n
                && arena.withUnsafeBufferPointer({ Self.equal($0, slot.offset, p, n) })
            {
                slots[i].value = value
                return
            }
            i = (i + 1) & mask
        }
        slots[i] = Slot(offset: UInt32(arena.count), length: UInt32(n), hash: h, value: value)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        count += 1
    }

    mutating func set(_ key: [UInt8], to value: UInt64) {
        Self.withKey(key) { set($0, $1, to: value) }
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(offset: 0, length: Self.emptyLength, hash: 0, value: 0), count: old.count * 2)
        mask = slots.count - 1
        for slot in old where slot.length != Self.emptyLength {
            var i = Int(truncatingIfNeeded: slot.hash) & mask
            while slots[i].length != Self.emptyLength { i = (i + 1) & mask }
            slots[i] = slot
        }
    }
}
