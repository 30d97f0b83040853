import Foundation

/// The element type of the trainer's tensors.
///
/// Training runs in `Float`. Every layer is generic over this protocol so the gradient checks can run the
/// very same forward/backward code in `Double`, where central differences are accurate to ~1e-8 rather
/// than ~1e-2 (PyTorch's `gradcheck` makes the same choice). The two hot paths, matrix products and the
/// exponential of a whole row, are requirements so `Float` can use `cblas_sgemm` and a SIMD `exp`.
public protocol TrainScalar: BinaryFloatingPoint, SIMDScalar, Codable, Sendable, LosslessStringConvertible {
    /// Row-major `C = alpha · op(A) · op(B) + beta · C`, `op(A)` is m×k, `op(B)` is k×n, `C` is m×n.
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    /// `x[i] = exp(x[i] - shift)` for `count` elements; returns their sum.
    static func expShiftedSum(_ x: UnsafeMutablePointer<Self>, count: Int, shift: Self) -> Self
}

extension Float: TrainScalar {
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 { scaleMatrix(c, m: m, n: n, ldc: ldc, by: beta); return }
        OpenBLASLibrary.loaded.sgemm(
            OpenBLASLibrary.rowMajor, transA ? OpenBLASLibrary.transpose : OpenBLASLibrary.noTranspose,
            transB ? OpenBLASLibrary.transpose : OpenBLASLibrary.noTranspose,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func exp(_ x: Float) -> Float { expf(x) }
    @inlinable public static func log(_ x: Float) -> Float { logf(x) }
    @inlinable
    public static func expShiftedSum(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        FastExp.expShiftedSum(x, count: count, shift: shift)
    }
}

extension Double: TrainScalar {
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 { scaleMatrix(c, m: m, n: n, ldc: ldc, by: beta); return }
        OpenBLASLibrary.loaded.dgemm(
            OpenBLASLibrary.rowMajor, transA ? OpenBLASLibrary.transpose : OpenBLASLibrary.noTranspose,
            transB ? OpenBLASLibrary.transpose : OpenBLASLibrary.noTranspose,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable
    public static func expShiftedSum(_ x: UnsafeMutablePointer<Double>, count: Int, shift: Double) -> Double {
        var sum = 0.0
        for i in 0..<count { x[i] = Foundation.exp(x[i] - shift); sum += x[i] }
        return sum
    }
}

/// `C *= beta` (the k = 0 case of gemm, which BLAS rejects through its leading-dimension checks).
@usableFromInline
func scaleMatrix<T: TrainScalar>(_ c: UnsafeMutablePointer<T>, m: Int, n: Int, ldc: Int, by beta: T) {
    for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : c[i * ldc + j] * beta } }
}

/// The threading scheme: OpenBLAS parallelises the large matrix products (~90% of a step's FLOPs);
/// `TrainThreads` runs the loops over independent units that OpenBLAS does not see (attention per
/// segment and head, the vocabulary softmax per row), with OpenBLAS at one thread meanwhile, so the
/// two never fight for the cores. Reductions keep one fixed order.
public enum BLASThreads {
    /// OpenBLAS's threads and the size of `TrainThreads.shared`.
    public static func set(_ count: Int) {
        let n = max(1, count)
        setOpenBLASOnly(n)
        if TrainThreads.shared.count != n {
            TrainThreads.shared.stop()
            TrainThreads.shared = TrainThreads(count: n)
        }
    }
    /// OpenBLAS's threads alone (around a `TrainThreads` loop).
    static func setOpenBLASOnly(_ count: Int) { OpenBLASLibrary.loaded.setNumThreads(Int32(max(1, count))) }
    public static var current: Int { Int(OpenBLASLibrary.loaded.getNumThreads()) }
    /// The OPENBLAS_THREAD_TIMEOUT OpenBLAS runs with (see `OpenBLASLibrary.threadTimeoutExponent`);
    /// nil when the library cannot say.
    public static var idleSpinExponent: Int? { OpenBLASLibrary.loaded.threadTimeout.map { Int($0()) } }
    /// Opens OpenBLAS (see `OpenBLASLibrary`), or says why it cannot be: the commands that train
    /// call this first.
    public static func requireLibrary() throws { _ = try OpenBLASLibrary.require() }
    /// OpenBLAS's own description of the loaded library ("OpenBLAS 0.3.21 DYNAMIC_ARCH ... Haswell ..."),
    /// or why it cannot be opened.
    public static var configuration: String {
        switch OpenBLASLibrary.opened {
        case .failure(let error): return "OpenBLAS not available: \(error)"
        case .success(let library):
            guard let c = library.getConfig() else { return "unknown" }
            return String(cString: c)
        }
    }
}
