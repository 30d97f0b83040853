import Foundation

/// A fixed-size, zero-initialised array of scalars with a stable address, for activations and
/// parameters. Hot loops work on `pointer` directly: no copy-on-write, no bounds checks in release.
public final class Buffer<T: TrainScalar> {
    public let count: Int
    public let pointer: UnsafeMutablePointer<T>

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    public subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public func zero() { pointer.update(repeating: 0, count: count) }
    public var array: [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// Deterministic randomness for initialisation and data order (SplitMix64), keyed by what is decided
/// (the seed plus e.g. a parameter's name or the epoch), never by time or thread.
public struct SplitMix: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64, key: String = "") {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a of the key
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        state = SplitMix.mix(seed ^ 0x6A09_E667_F3BC_C908) ^ SplitMix.mix(h)
    }

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix.mix(state)
    }

    /// Uniform in [0, 1) with 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal (Box–Muller; one value per call keeps the stream simple to reason about).
    public mutating func normal() -> Double {
        let u1 = max(unit(), 0x1.0p-53)
        let u2 = unit()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}

