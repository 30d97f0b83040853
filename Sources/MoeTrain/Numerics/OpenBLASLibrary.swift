import Foundation

/// OpenBLAS, opened by `dlopen` the first time the trainer needs it, not linked into the binary.
///
/// Linked, it was loaded by every command, and its constructor starts a thread per core that spins
/// (`sched_yield`) for about 0.1 s before it sleeps: a tenth of a core taken from `build` and
/// `ingest`, which never multiply a matrix, at the moment their own threads start. Only `train`,
/// `analyze` and `--version` open it now. This is the one file that calls OpenBLAS.
struct OpenBLASLibrary: @unchecked Sendable {
    // cblas.h's values (CBLAS_ORDER, CBLAS_TRANSPOSE), fixed by the CBLAS standard.
    static let rowMajor: Int32 = 101
    static let noTranspose: Int32 = 111
    static let transpose: Int32 = 112

    typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void
    typealias DGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Double, UnsafePointer<Double>?, Int32,
        UnsafePointer<Double>?, Int32, Double, UnsafeMutablePointer<Double>?, Int32
    ) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void
    typealias GetThreads = @convention(c) () -> Int32
    typealias GetConfig = @convention(c) () -> UnsafePointer<CChar>?

    let sgemm: SGEMM
    let dgemm: DGEMM
    let setNumThreads: SetThreads
    let getNumThreads: GetThreads
    let getConfig: GetConfig
    /// `openblas_thread_timeout()`: the OPENBLAS_THREAD_TIMEOUT the library read when it was opened
    /// (0: unset, its default); nil in a build without the function.
    let threadTimeout: GetThreads?

    /// How long an idle OpenBLAS thread spins before it sleeps: 2^16 cycles (about 20 µs), not the
    /// library's default of 2^28 (about 0.1 s). Between two products the trainer runs its own loops
    /// on `TrainThreads`; a BLAS thread spinning in `sched_yield` meanwhile takes a core from them
    /// (`perf`: a fifth of a 2-thread step). `tiny` on 2 threads: 4,500-5,500 tokens/s with the
    /// default, 6,000-6,100 with 4 to 16. A value the user set is kept.
    static let threadTimeoutExponent = "16"

    /// The names tried in turn: Debian's run-time package (libopenblas0) installs the first, the
    /// development package adds the second.
    static let fileNames = ["libopenblas.so.0", "libopenblas.so"]

    /// Opened once, on first use, by whichever thread gets there first.
    static let opened: Result<OpenBLASLibrary, TrainError> = open()

    /// The library, or why it cannot be opened. `train` and `analyze` call this before they start,
    /// so a machine without OpenBLAS gets this sentence, not a crash in the first product.
    static func require() throws -> OpenBLASLibrary { try opened.get() }

    /// The library for a matrix product. Reached only after `require()` in the commands; a test
    /// or a caller that skipped it on a machine without OpenBLAS stops here with the reason.
    static var loaded: OpenBLASLibrary {
        switch opened {
        case .success(let library): return library
        case .failure(let error): fatalError("\(error)")
        }
    }

    private static func open() -> Result<OpenBLASLibrary, TrainError> {
        var reasons: [String] = []
        // Read by the library's constructor, so set before dlopen.
        setenv("OPENBLAS_THREAD_TIMEOUT", threadTimeoutExponent, 0)
        for name in fileNames {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                reasons.append(dlerror().map { String(cString: $0) } ?? "\(name): cannot be opened")
                continue
            }
            do {
                return .success(
                    OpenBLASLibrary(
                        sgemm: try symbol("cblas_sgemm", in: handle, name),
                        dgemm: try symbol("cblas_dgemm", in: handle, name),
                        setNumThreads: try symbol("openblas_set_num_threads", in: handle, name),
                        getNumThreads: try symbol("openblas_get_num_threads", in: handle, name),
                        getConfig: try symbol("openblas_get_config", in: handle, name),
                        threadTimeout: dlsym(handle, "openblas_thread_timeout").map {
                            unsafeBitCast($0, to: GetThreads.self)
                        }))
            } catch {
                return .failure(error)
            }
        }
        return .failure(
            TrainError(
                "the trainer needs OpenBLAS, which could not be opened (\(reasons.joined(separator: "; "))); "
                    + "install it with `apt-get install libopenblas0` (or libopenblas-dev)"))
    }

    private static func symbol<T>(
        _ symbol: String, in handle: UnsafeMutableRawPointer, _ file: String
    ) throws(TrainError) -> T {
        guard let address = dlsym(handle, symbol) else {
            throw TrainError("\(file) has no \(symbol): it is not OpenBLAS, or a version older than 0.3")
        }
        return unsafeBitCast(address, to: T.self)
    }
}
