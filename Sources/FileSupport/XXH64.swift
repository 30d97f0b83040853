import Foundation

/// xxHash64 (seed 0), as `xxhash.xxh64(data).hexdigest()` in Python: one of the hash
/// algorithms mosaicml-streaming records in `index.json` and can verify on read.
public struct XXH64: Sendable {
    static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    var v1: UInt64, v2: UInt64, v3: UInt64, v4: UInt64
    var total: UInt64 = 0
    var buffer: [UInt8] = []
    let seed: UInt64

    public init(seed: UInt64 = 0) {
        self.seed = seed
        v1 = seed &+ XXH64.p1 &+ XXH64.p2
        v2 = seed &+ XXH64.p2
        v3 = seed
        v4 = seed &- XXH64.p1
        buffer.reserveCapacity(32)
    }

    @inline(__always) static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        var a = acc &+ input &* p2
        a = (a << 31) | (a >> 33)
        return a &* p1
    }

    @inline(__always) static func merge(_ acc: UInt64, _ val: UInt64) -> UInt64 {
        let v = round(0, val)
        return (acc ^ v) &* p1 &+ p4
    }

    @inline(__always) static func read64(_ p: UnsafeRawPointer, _ o: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self))
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let baseAddress = bytes.baseAddress, bytes.count > 0 else { return }
        total &+= UInt64(bytes.count)
        var i = 0
        if !buffer.isEmpty {
            let take = min(32 - buffer.count, bytes.count)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
            i = take
            if buffer.count == 32 {
                buffer.withUnsafeBytes { b in stripe(b.baseAddress!, 0) }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        while i + 32 <= bytes.count {
            stripe(baseAddress, i)
            i += 32
        }
        if i < bytes.count { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i...])) }
    }

    @inline(__always) mutating func stripe(_ p: UnsafeRawPointer, _ o: Int) {
        v1 = XXH64.round(v1, XXH64.read64(p, o))
        v2 = XXH64.round(v2, XXH64.read64(p, o + 8))
        v3 = XXH64.round(v3, XXH64.read64(p, o + 16))
        v4 = XXH64.round(v4, XXH64.read64(p, o + 24))
    }

    public func digest() -> UInt64 {
        var h: UInt64
        if total >= 32 {
            h =
                ((v1 << 1) | (v1 >> 63)) &+ ((v2 << 7) | (v2 >> 57)) &+ ((v3 << 12) | (v3 >> 52))
                &+ ((v4 << 18) | (v4 >> 46))
            h = XXH64.merge(h, v1)
            h = XXH64.merge(h, v2)
            h = XXH64.merge(h, v3)
            h = XXH64.merge(h, v4)
        } else {
            h = seed &+ XXH64.p5
        }
        h &+= total
        buffer.withUnsafeBytes { b in
            var i = 0
            let n = b.count
            while i + 8 <= n {
                let k = XXH64.round(0, UInt64(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                h ^= k
                h = ((h << 27) | (h >> 37)) &* XXH64.p1 &+ XXH64.p4
                i += 8
            }
            if i + 4 <= n {
                h ^= UInt64(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt32.self))) &* XXH64.p1
                h = ((h << 23) | (h >> 41)) &* XXH64.p2 &+ XXH64.p3
                i += 4
            }
            while i < n {
                h ^= UInt64(b[i]) &* XXH64.p5
                h = ((h << 11) | (h >> 53)) &* XXH64.p1
                i += 1
            }
        }
        h ^= h >> 33
        h = h &* XXH64.p2
        h ^= h >> 29
        h = h &* XXH64.p3
        h ^= h >> 32
        return h
    }

    public static func hash<C: ContiguousBytes>(_ data: C) -> UInt64 {
        var x = XXH64()
        data.withUnsafeBytes { x.update($0) }
        return x.digest()
    }

    public static func hex(_ value: UInt64) -> String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
