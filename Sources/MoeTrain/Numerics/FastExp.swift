import Foundation

/// A SIMD `exp` for Float rows (softmax over the vocabulary is the trainer's largest elementwise job:
/// one exp per token per vocabulary entry). Cephes' `expf` scheme: `exp(x) = 2^n · exp(r)` with
/// `n = round(x / ln 2)`, `r = x − n·ln 2` in two parts, and a degree-6 polynomial for `exp(r)`;
/// relative error about 2e-7, the same as libm's `expf` for training purposes.
public enum FastExp {
    @inlinable
    public static func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Clamp to the range where 2^n is a normal float (lane-wise selects; `clamped` is not inlined).
        let lo = SIMD8<Float>(repeating: -87.3), hi = SIMD8<Float>(repeating: 88.3)
        let xc = x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi)
        // Round x/ln2 to the nearest integer with the 1.5·2^23 trick: after adding it, the integer sits in
        // the low mantissa bits (no libm rint call, no generic float→int conversion).
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = xc * 1.442_695_04 + magic
        let n = shifted - magic
        let nBits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        var r = xc - n * 0.693_359_375
        r = r + n * 2.121_944_40e-4
        var p = SIMD8<Float>(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * (r * r) + r + 1
        let exponent = (nBits &+ 127) &<< 23
        return p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
    }

    /// `x[i] = exp(x[i] - shift)`; returns the sum (accumulated in a fixed lane order).
    @inlinable
    public static func expShiftedSum(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        let raw = UnsafeMutableRawPointer(x)
        var i = 0
        while i + 8 <= count {
            let v = exp8(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - shift)
            raw.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
            acc += v
            i += 8
        }
        var sum = acc.sum()
        while i < count { x[i] = expf(x[i] - shift); sum += x[i]; i += 1 }
        return sum
    }
}
