/// RMSNorm (T5 LayerNorm): `y = g ⊙ x · r`, `r = (mean(x²) + ε)^(-1/2)`; `r` is cached per row.
///
/// Rows run on `threads` in blocks of `blockRows`; the gain's gradient is summed per block and the
/// blocks' sums are added in block order, so the bits do not depend on the thread count.
public enum RMSNorm {
    public static let blockRows = 64

    @_specialize(where T == Float)
    public static func forward<T: TrainScalar>(
        y: UnsafeMutablePointer<T>, rstd: UnsafeMutablePointer<T>,
        x: UnsafePointer<T>, gain: UnsafePointer<T>, n: Int, d: Int, eps: T, threads: TrainThreads = .single
    ) {
        threads.forEachBlock(n, blockSize: blockRows) { rows, _ in
            for t in rows {
                let xr = x + t * d, yr = y + t * d
                var ss: T = 0
                for c in 0..<d { ss += xr[c] * xr[c] }
                let r = 1 / (ss / T(d) + eps).squareRoot()
                rstd[t] = r
                for c in 0..<d { yr[c] = xr[c] * r * gain[c] }
            }
        }
    }

    /// `dg += dy ⊙ x̂`, `dx += r · (g⊙dy − x̂ · mean(g⊙dy⊙x̂))` with `x̂ = x · r`.
    @_specialize(where T == Float)
    public static func backward<T: TrainScalar>(
        dx: UnsafeMutablePointer<T>, dgain: UnsafeMutablePointer<T>,
        dy: UnsafePointer<T>, x: UnsafePointer<T>, rstd: UnsafePointer<T>,
        gain: UnsafePointer<T>, n: Int, d: Int, threads: TrainThreads = .single
    ) {
        let blocks = TrainThreads.blocks(n, blockSize: blockRows)
        let partial = Buffer<T>(count: blocks * d)
        threads.forEachBlock(n, blockSize: blockRows) { rows, block in
            let dgBlock = partial.pointer + block * d
            for t in rows {
                let xr = x + t * d, dyr = dy + t * d, dxr = dx + t * d
                let r = rstd[t]
                var dot: T = 0
                for c in 0..<d {
                    let xhat = xr[c] * r
                    dgBlock[c] += dyr[c] * xhat
                    dot += gain[c] * dyr[c] * xhat
                }
                let mean = dot / T(d)
                for c in 0..<d { dxr[c] += r * (gain[c] * dyr[c] - xr[c] * r * mean) }
            }
        }
        for block in 0..<blocks {
            let dgBlock = partial.pointer + block * d
            for c in 0..<d { dgain[c] += dgBlock[c] }
        }
    }
}
