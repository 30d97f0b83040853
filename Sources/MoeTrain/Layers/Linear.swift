/// A bias-free linear map in PyTorch's layout: `W` is [out, in], `y = x · Wᵀ`.
/// Both directions are BLAS calls; row strides (`ld…`) let callers address column slices in place.
public enum Linear {
    /// `y[n, out] = x[n, in] · Wᵀ` (or `+=` when `accumulate`).
    @_specialize(where T == Float)
    @inlinable
    public static func forward<T: TrainScalar>(y: UnsafeMutablePointer<T>, ldy: Int, x: UnsafePointer<T>, ldx: Int,
                                               w: UnsafePointer<T>, n: Int, inDim: Int, outDim: Int,
                                               accumulate: Bool = false) {
        T.gemm(transA: false, transB: true, m: n, n: outDim, k: inDim, alpha: 1, a: x, lda: ldx, b: w, ldb: inDim,
               beta: accumulate ? 1 : 0, c: y, ldc: ldy)
    }

    /// `dx += dy · W` and `dW += dyᵀ · x`.
    @_specialize(where T == Float)
    @inlinable
    public static func backward<T: TrainScalar>(dx: UnsafeMutablePointer<T>?, lddx: Int, dw: UnsafeMutablePointer<T>,
                                                dy: UnsafePointer<T>, lddy: Int, x: UnsafePointer<T>, ldx: Int,
                                                w: UnsafePointer<T>, n: Int, inDim: Int, outDim: Int) {
        if let dx {
            T.gemm(transA: false, transB: false, m: n, n: inDim, k: outDim, alpha: 1, a: dy, lda: lddy, b: w, ldb: inDim,
                   beta: 1, c: dx, ldc: lddx)
        }
        T.gemm(transA: true, transB: false, m: outDim, n: inDim, k: n, alpha: 1, a: dy, lda: lddy, b: x, ldb: ldx,
               beta: 1, c: dw, ldc: inDim)
    }
}

/// Token embedding: row `id` of the [V, d] table.
public enum Embedding {
    @_specialize(where T == Float)
    public static func forward<T: TrainScalar>(x: UnsafeMutablePointer<T>, table: UnsafePointer<T>, ids: [Int32], d: Int) {
        for (t, id) in ids.enumerated() { (x + t * d).update(from: table + Int(id) * d, count: d) }
    }

    /// `dtable[id] += dx[t]` (several tokens may share an id, so it must accumulate).
    @_specialize(where T == Float)
    public static func backward<T: TrainScalar>(dtable: UnsafeMutablePointer<T>, dx: UnsafePointer<T>, ids: [Int32], d: Int) {
        for (t, id) in ids.enumerated() {
            let row = dtable + Int(id) * d, g = dx + t * d
            for c in 0..<d { row[c] += g[c] }
        }
    }
}

/// RMSNorm (T5 LayerNorm): `y = g ⊙ x · r`, `r = (mean(x²) + ε)^(-1/2)`; `r` is cached per row.
public enum RMSNorm {
    @_specialize(where T == Float)
    public static func forward<T: TrainScalar>(y: UnsafeMutablePointer<T>, rstd: UnsafeMutablePointer<T>,
                                               x: UnsafePointer<T>, gain: UnsafePointer<T>, n: Int, d: Int, eps: T) {
        for t in 0..<n {
            let xr = x + t * d, yr = y + t * d
            var ss: T = 0
            for c in 0..<d { ss += xr[c] * xr[c] }
            let r = 1 / (ss / T(d) + eps).squareRoot()
            rstd[t] = r
            for c in 0..<d { yr[c] = xr[c] * r * gain[c] }
        }
    }

    /// `dg += dy ⊙ x̂`, `dx += r · (g⊙dy − x̂ · mean(g⊙dy⊙x̂))` with `x̂ = x · r`.
    @_specialize(where T == Float)
    public static func backward<T: TrainScalar>(dx: UnsafeMutablePointer<T>, dgain: UnsafeMutablePointer<T>,
                                                dy: UnsafePointer<T>, x: UnsafePointer<T>, rstd: UnsafePointer<T>,
                                                gain: UnsafePointer<T>, n: Int, d: Int) {
        for t in 0..<n {
            let xr = x + t * d, dyr = dy + t * d, dxr = dx + t * d
            let r = rstd[t]
            var dot: T = 0
            for c in 0..<d {
                let xhat = xr[c] * r
                dgain[c] += dyr[c] * xhat
                dot += gain[c] * dyr[c] * xhat
            }
            let mean = dot / T(d)
            for c in 0..<d { dxr[c] += r * (gain[c] * dyr[c] - xr[c] * r * mean) }
        }
    }
}
