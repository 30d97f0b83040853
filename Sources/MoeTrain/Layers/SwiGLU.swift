/// The SwiGLU feed-forward network used for dense layers, each expert and the shared FFN:
/// `a = x · W_inᵀ` ([n, 2f]: gate half g, up half b), `u = silu(g) ⊙ b`, `y = u · W_outᵀ`.
/// Caches `a` and `u`; the backward needs `silu'(g) = σ(g)·(1 + g·(1 − σ(g)))`. The products run on
/// OpenBLAS's threads, the element-wise work on `threads` in blocks of rows (each row its own).
public enum SwiGLU {
    public static let blockRows = 64

    /// `y (+)= FFN(x)`; `a` ([n, 2f]) and `u` ([n, f]) receive the activations for the backward.
    @_specialize(where T == Float)
    public static func forward<T: TrainScalar>(
        y: UnsafeMutablePointer<T>, a: UnsafeMutablePointer<T>,
        u: UnsafeMutablePointer<T>, x: UnsafePointer<T>,
        wIn: UnsafePointer<T>, wOut: UnsafePointer<T>,
        n: Int, d: Int, f: Int, accumulate: Bool, threads: TrainThreads = .single
    ) {
        Linear.forward(y: a, ldy: 2 * f, x: x, ldx: d, w: wIn, n: n, inDim: d, outDim: 2 * f)
        threads.forEachBlock(n, blockSize: blockRows) { rows, _ in
            for t in rows {
                let ar = a + t * 2 * f, ur = u + t * f
                for i in 0..<f {
                    let g = ar[i]
                    ur[i] = g / (1 + T.exp(-g)) * ar[f + i]
                }
            }
        }
        Linear.forward(y: y, ldy: d, x: u, ldx: f, w: wOut, n: n, inDim: f, outDim: d, accumulate: accumulate)
    }

    /// `dx += …`, `dwIn += …`, `dwOut += …` from `dy` ([n, d]).
    @_specialize(where T == Float)
    public static func backward<T: TrainScalar>(
        dx: UnsafeMutablePointer<T>, dwIn: UnsafeMutablePointer<T>,
        dwOut: UnsafeMutablePointer<T>, dy: UnsafePointer<T>,
        x: UnsafePointer<T>, a: UnsafePointer<T>, u: UnsafePointer<T>,
        wIn: UnsafePointer<T>, wOut: UnsafePointer<T>,
        n: Int, d: Int, f: Int, threads: TrainThreads = .single
    ) {
        let du = Buffer<T>(count: n * f), da = Buffer<T>(count: n * 2 * f)
        // du = dy · W_out; dW_out += dyᵀ · u.
        Linear.backward(
            dx: du.pointer, lddx: f, dw: dwOut, dy: dy, lddy: d, x: u, ldx: f, w: wOut,
            n: n, inDim: f, outDim: d)
        threads.forEachBlock(n, blockSize: blockRows) { rows, _ in
            for t in rows {
                let ar = a + t * 2 * f, dur = du.pointer + t * f, dar = da.pointer + t * 2 * f
                for i in 0..<f {
                    let g = ar[i], b = ar[f + i]
                    let sig = 1 / (1 + T.exp(-g))
                    let silu = g * sig
                    dar[i] = dur[i] * b * sig * (1 + g * (1 - sig))
                    dar[f + i] = dur[i] * silu
                }
            }
        }
        Linear.backward(
            dx: dx, lddx: d, dw: dwIn, dy: da.pointer, lddy: 2 * f, x: x, ldx: d, w: wIn,
            n: n, inDim: d, outDim: 2 * f)
    }
}
