import Foundation

/// Deterministic randomness keyed by *what* is being decided, never by thread timing (SplitMix64).
///
/// Every random choice draws from a `KeyedRandom` built from the run's seed plus the stable keys of
/// the thing decided: in the pipeline, block order, document shuffles within windows, the denoiser of example
/// N, its span mask, the prefix-LM split (`init(seed:_:)`, keys such as the source name, epoch,
/// example index); in the trainer, a parameter's initial values and the data order of an epoch
/// (`init(seed:name:)`). The same keys always give the same stream, so outputs are identical with
/// any `--jobs` or `--threads` and after a resume, and nothing needs to be saved but the keys.
public struct KeyedRandom: RandomNumberGenerator, Sendable {
    // Inlinable: the objectives draw in their inner loops, from another module.
    @usableFromInline var state: UInt64

    public init(seed: UInt64, _ keys: UInt64...) {
        self.init(seed: seed, keys: keys)
    }

    /// The pipeline's keying: each key is mixed into the state in turn.
    public init(seed: UInt64, keys: [UInt64]) {
        var s = KeyedRandom.mix(seed ^ 0x6A09_E667_F3BC_C908)
        for k in keys { s = KeyedRandom.mix(s ^ KeyedRandom.mix(k &+ 0x9E37_79B9_7F4A_7C15)) }
        state = s
    }

    /// The trainer's keying, by one name ("epoch 3 shards", a tensor's name). It mixes the name in
    /// otherwise than `init(seed:keys:)` does; the trainer's reference numbers were drawn with it.
    public init(seed: UInt64, name: String) {
        state = KeyedRandom.mix(seed ^ 0x6A09_E667_F3BC_C908) ^ KeyedRandom.mix(KeyedRandom.key(name))
    }

    /// A stable 64-bit key for a string (FNV-1a), for keying by source name and the like.
    public static func key(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// SplitMix64's finalizer: a bijective avalanche mix.
    @inlinable @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return KeyedRandom.mix(state)
    }

    /// Uniform integer in `range`, without modulo bias (Lemire's method via the stdlib).
    @inlinable public mutating func int(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }

    /// Uniform Double in [0, 1) with 53 bits.
    @inlinable public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal (Box–Muller; one value per call keeps the stream simple to reason about).
    public mutating func normal() -> Double {
        let u1 = max(unit(), 0x1.0p-53)
        let u2 = unit()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}
