/// A bias-free linear map in PyTorch's layout: `W` is [out, in], `y = x · Wᵀ`.
/// Both directions are BLAS calls; row strides (`ld…`) let callers address column slices in place.
public enum Linear {
    /// `y[n, out] = x[n, in] · Wᵀ` (or `+=` when `accumulate`).
    @_specialize(where T == Float)
    @inlinable
    public static func forward<T: TrainScalar>(
        y: UnsafeMutablePointer<T>, ldy: Int, x: UnsafePointer<T>, ldx: Int,
        w: UnsafePointer<T>, n: Int, inDim: Int, outDim: Int,
        accumulate: Bool = false
    ) {
        T.gemm(
            transA: false, transB: true, m: n, n: outDim, k: inDim, alpha: 1, a: x, lda: ldx, b: w, ldb: inDim,
            beta: accumulate ? 1 : 0, c: y, ldc: ldy)
    }

    /// `dx += dy · W` and `dW += dyᵀ · x`.
    @_specialize(where T == Float)
    @inlinable
    public static func backward<T: TrainScalar>(
        dx: UnsafeMutablePointer<T>?, lddx: Int, dw: UnsafeMutablePointer<T>,
        dy: UnsafePointer<T>, lddy: Int, x: UnsafePointer<T>, ldx: Int,
        w: UnsafePointer<T>, n: Int, inDim: Int, outDim: Int
    ) {
        if let dx {
            T.gemm(
                transA: false, transB: false, m: n, n: inDim, k: outDim, alpha: 1, a: dy, lda: lddy, b: w,
                ldb: inDim, beta: 1, c: dx, ldc: lddx)
        }
        T.gemm(
            transA: true, transB: false, m: outDim, n: inDim, k: n, alpha: 1, a: dy, lda: lddy, b: x, ldb: ldx,
            beta: 1, c: dw, ldc: inDim)
    }
}
