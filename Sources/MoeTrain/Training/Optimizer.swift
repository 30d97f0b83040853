import Foundation

/// Learning-rate schedules. `rsqrt` is OpenMoE's t5x `constant * rsqrt_decay`: flat peak until `warmup`,
/// then `peak · √(warmup / step)`; here the flat part is a linear ramp from 0 (AdamW's early updates
/// are large without one). `cosine` decays from the peak to `minRatio · peak` at the last step.
public struct LRSchedule: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case rsqrt, cosine, constant }
    public var kind: Kind
    public var peak: Double
    public var warmup: Int
    public var totalSteps: Int
    public var minRatio: Double

    public init(kind: Kind, peak: Double, warmup: Int, totalSteps: Int, minRatio: Double = 0.1) {
        self.kind = kind
        self.peak = peak
        self.warmup = warmup
        self.totalSteps = totalSteps
        self.minRatio = minRatio
    }

    /// Rate of update `step` (0-based).
    public func rate(step: Int) -> Double {
        let s = Double(step + 1), w = Double(max(warmup, 0))
        let ramp = w > 0 ? min(1, s / w) : 1
        switch kind {
        case .constant:
            return peak * ramp
        case .rsqrt:
            return peak * ramp * (max(w, 1) / max(s, max(w, 1))).squareRoot()
        case .cosine:
            guard s > w else { return peak * ramp }
            let progress = min(1, (s - w) / max(1, Double(totalSteps) - w))
            return peak * (minRatio + (1 - minRatio) * 0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}

public struct AdamWSettings: Sendable, Equatable, Codable {
    public var beta1 = 0.9
    public var beta2 = 0.95
    public var eps = 1e-8
    public var weightDecay = 0.1
    /// Global gradient-norm clipping threshold (0 = off).
    public var clipNorm = 1.0
    public init() {}
}

/// AdamW with decoupled weight decay on matrices (llm.c's `gpt2_update`), moments in two flat buffers
/// that mirror the parameters; the elementwise update runs in SIMD lanes of 8.
public final class AdamW<T: TrainScalar> {
    public let settings: AdamWSettings
    public let m: Buffer<T>
    public let v: Buffer<T>
    /// Updates applied so far (for bias correction).
    public var step = 0

    public init(count: Int, settings: AdamWSettings) {
        self.settings = settings
        m = Buffer(count: count)
        v = Buffer(count: count)
    }

    /// Elements per unit of work: the update and the norm run on `threads` over pieces of this size
    /// (a tensor's last piece shorter), fixed whatever the thread count.
    static var pieceSize: Int { 1 << 15 }

    /// L2 norm of the gradient, accumulated in Double in a fixed order: per piece of `pieceSize`
    /// elements (in lanes of 8), then the pieces in order, on any number of threads.
    @_specialize(where T == Float)
    public static func norm(_ g: Buffer<T>, threads: TrainThreads = .single) -> Double {
        var sums = [Double](repeating: 0, count: TrainThreads.blocks(g.count, blockSize: pieceSize))
        sums.withUnsafeMutableBufferPointer { sums in
            threads.forEachBlock(g.count, blockSize: pieceSize) { range, piece in
                var sum = 0.0
                var i = range.lowerBound
                let raw = UnsafeRawPointer(g.pointer), width = MemoryLayout<T>.stride
                while i + 8 <= range.upperBound {
                    let x = raw.loadUnaligned(fromByteOffset: i * width, as: SIMD8<T>.self)
                    sum += Double((x * x).sum())
                    i += 8
                }
                while i < range.upperBound { sum += Double(g[i] * g[i]); i += 1 }
                sums[piece] = sum
            }
        }
        return sums.reduce(0, +).squareRoot()
    }

    /// One update with learning rate `lr`, gradients multiplied by `gradScale` (clipping) first; each
    /// element on its own, on `threads` in pieces of every tensor.
    @_specialize(where T == Float)
    public func update(
        params: Buffer<T>, grads: Buffer<T>, layout: ParameterLayout, lr: Double, gradScale: Double,
        threads: TrainThreads = .single
    ) {
        step += 1
        let s = settings
        let c1 = T(1 / (1 - pow(s.beta1, Double(step)))), c2 = T(1 / (1 - pow(s.beta2, Double(step))))
        let b1 = T(s.beta1), b2 = T(s.beta2), eps = T(s.eps), rate = T(lr), scale = T(gradScale)
        var pieces: [(offset: Int, count: Int, decay: T)] = []
        for tensor in layout.tensors {
            let decay = tensor.decays ? T(s.weightDecay) : 0
            for start in stride(from: 0, to: tensor.count, by: Self.pieceSize) {
                pieces.append((tensor.offset + start, min(Self.pieceSize, tensor.count - start), decay))
            }
        }
        let m = m, v = v
        threads.parallelFor(pieces.count) { unit, _ in
            let (offset, count, decay) = pieces[unit]
            let p = params.pointer + offset, g = grads.pointer + offset
            let mp = m.pointer + offset, vp = v.pointer + offset
            var i = 0
            let width = MemoryLayout<T>.stride
            let rp = UnsafeMutableRawPointer(p), rg = UnsafeRawPointer(g)
            let rm = UnsafeMutableRawPointer(mp), rv = UnsafeMutableRawPointer(vp)
            while i + 8 <= count {
                let o = i * width
                let grad = rg.loadUnaligned(fromByteOffset: o, as: SIMD8<T>.self) * scale
                let mNew = b1 * rm.loadUnaligned(fromByteOffset: o, as: SIMD8<T>.self) + (1 - b1) * grad
                let vNew = b2 * rv.loadUnaligned(fromByteOffset: o, as: SIMD8<T>.self) + (1 - b2) * grad * grad
                let param = rp.loadUnaligned(fromByteOffset: o, as: SIMD8<T>.self)
                let stepDir = (mNew * c1) / ((vNew * c2).squareRoot() + eps) + decay * param
                rm.storeBytes(of: mNew, toByteOffset: o, as: SIMD8<T>.self)
                rv.storeBytes(of: vNew, toByteOffset: o, as: SIMD8<T>.self)
                rp.storeBytes(of: param - rate * stepDir, toByteOffset: o, as: SIMD8<T>.self)
                i += 8
            }
            while i < count {
                let grad = g[i] * scale
                mp[i] = b1 * mp[i] + (1 - b1) * grad
                vp[i] = b2 * vp[i] + (1 - b2) * grad * grad
                p[i] -= rate * ((mp[i] * c1) / ((vp[i] * c2).squareRoot() + eps) + decay * p[i])
                i += 1
            }
        }
    }
}
