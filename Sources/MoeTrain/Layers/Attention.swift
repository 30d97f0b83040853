/// Multi-head causal self-attention over packed segments.
///
/// A query attends only to keys of its own segment (the batch is a list of contiguous segments, padding
/// already removed), causally, plus, with `prefix`, to every key of the segment's prefix (prefix-LM).
/// Masked scores are never formed: queries go in blocks of `blockSize`, and a block only multiplies
/// against the keys it may see, so the cost is about Σ len²/2 rather than T². Probabilities are not
/// stored: the forward keeps each row's log-sum-exp and the backward recomputes `P` from it
/// (as FlashAttention does), so memory stays O(T·heads).
///
/// Per head, with `S = s·QKᵀ`, `P = softmax(S)`, `O = PV`:
/// `dV = Pᵀ dO`, `dP = dO Vᵀ`, `dS = P ⊙ (dP − rowsum(dO ⊙ O))`, `dQ = s·dS K`, `dK = s·dSᵀ Q`.
public struct Attention<T: TrainScalar> {
    public let heads: Int
    public let headDim: Int
    /// Queries per block; tests use small blocks to exercise the multi-block path on short segments.
    public let blockSize: Int

    /// The threads that run (segment, head) pairs side by side; scratch is sized for them.
    public let threads: TrainThreads

    public init(heads: Int, headDim: Int, blockSize: Int = 256, threads: TrainThreads = .single) {
        self.heads = heads
        self.headDim = headDim
        self.blockSize = blockSize
        self.threads = threads
    }

    var innerDim: Int { heads * headDim }
    var scale: T { 1 / T(headDim).squareRoot() }

    /// The keys query block [q0, q1) of a segment may see: [0, kEnd).
    /// Causal: up to the block's last query; prefix-LM: also up to the segment's last prefix token.
    static func keyEnd(q1: Int, prefixEnd: Int) -> Int { max(q1, prefixEnd) }

    /// One past the last prefix token of the segment (0 without prefix-LM).
    static func prefixEnd(_ prefix: [UInt8]?, _ seg: Range<Int>) -> Int {
        guard let prefix else { return 0 }
        var end = 0
        for j in seg where prefix[j] != 0 { end = j - seg.lowerBound + 1 }
        return end
    }

    /// Scores → probabilities for row `i` (segment-relative) of a block, in place, masked entries set to 0.
    /// The forward computes and returns the row's log-sum-exp; the backward passes the saved one
    /// (`knownLSE`), and then `exp(s − lse)` is already normalised.
    @inline(__always)
    static func softmaxRow(
        _ row: UnsafeMutablePointer<T>, i: Int, kEnd: Int, prefix: UnsafePointer<UInt8>?,
        knownLSE: T?
    ) -> T {
        // Allowed keys: 0...i, and any prefix key after i.
        func allowed(_ j: Int) -> Bool { j <= i || (prefix.map { $0[j] != 0 } ?? false) }
        var maxScore = -T.greatestFiniteMagnitude
        if knownLSE == nil { for j in 0..<kEnd where allowed(j) { maxScore = max(maxScore, row[j]) } }
        let shift = knownLSE ?? maxScore
        var sum: T = 0
        if prefix == nil {
            sum = T.expShiftedSum(row, count: i + 1, shift: shift)
            for j in (i + 1)..<max(i + 1, kEnd) { row[j] = 0 }
        } else {
            for j in 0..<kEnd {
                if allowed(j) { row[j] = T.exp(row[j] - shift); sum += row[j] } else { row[j] = 0 }
            }
        }
        if let knownLSE { return knownLSE }
        let inverse = 1 / sum
        for j in 0..<kEnd { row[j] *= inverse }
        return maxScore + T.log(sum)
    }

    /// `out[n, A]` from post-rotary `qkv[n, 3A]`; `lse[n, heads]` is kept for the backward.
    /// `scratch` must hold `scratchSize(segments)` scalars.
    @_specialize(where T == Float)
    public func forward(
        out: UnsafeMutablePointer<T>, lse: UnsafeMutablePointer<T>, qkv: UnsafePointer<T>,
        segments: [Range<Int>], prefix: [UInt8]?, scratch: UnsafeMutablePointer<T>
    ) {
        let a = innerDim, ld = 3 * a, bs = blockSize, perWorker = scratchPerWorker(segments)
        let prefixEnds = segments.map { Self.prefixEnd(prefix, $0) }
        prefix.withOptionalPointer { prefixBase in
            // Each (segment, head) writes only its own rows and columns of `out` and `lse`.
            threads.parallelFor(segments.count * heads) { unit, worker in
                let seg = segments[unit / heads], h = unit % heads, scratch = scratch + worker * perWorker
                let s0 = seg.lowerBound, len = seg.count, pEnd = prefixEnds[unit / heads]
                do {
                    let q = qkv + s0 * ld + h * headDim, k = q + a, v = q + 2 * a
                    for q0 in stride(from: 0, to: len, by: bs) {
                        let q1 = min(len, q0 + bs), kEnd = min(len, Self.keyEnd(q1: q1, prefixEnd: pEnd))
                        T.gemm(
                            transA: false, transB: true, m: q1 - q0, n: kEnd, k: headDim, alpha: scale,
                            a: q + q0 * ld, lda: ld, b: k, ldb: ld, beta: 0, c: scratch, ldc: kEnd)
                        for i in q0..<q1 {
                            let l = Self.softmaxRow(
                                scratch + (i - q0) * kEnd, i: i, kEnd: kEnd,
                                prefix: prefixBase.map { $0 + s0 }, knownLSE: nil)
                            lse[(s0 + i) * heads + h] = l
                        }
                        T.gemm(
                            transA: false, transB: false, m: q1 - q0, n: headDim, k: kEnd, alpha: 1,
                            a: scratch, lda: kEnd, b: v, ldb: ld, beta: 0,
                            c: out + (s0 + q0) * a + h * headDim, ldc: a)
                    }
                }
            }
        }
    }

    /// Accumulates into `dqkv[n, 3A]` (pre-rotary-backward gradients of the post-rotary q, k, v).
    /// `scratchP` and `scratchD` must each hold `scratchSize(segments)` scalars.
    @_specialize(where T == Float)
    public func backward(
        dqkv: UnsafeMutablePointer<T>, dOut: UnsafePointer<T>, out: UnsafePointer<T>,
        lse: UnsafePointer<T>, qkv: UnsafePointer<T>, segments: [Range<Int>], prefix: [UInt8]?,
        scratchP: UnsafeMutablePointer<T>, scratchD: UnsafeMutablePointer<T>
    ) {
        let a = innerDim, ld = 3 * a, bs = blockSize, perWorker = scratchPerWorker(segments)
        let prefixEnds = segments.map { Self.prefixEnd(prefix, $0) }
        prefix.withOptionalPointer { prefixBase in
            // Each (segment, head) adds only into its own rows and columns of `dqkv`.
            threads.parallelFor(segments.count * heads) { unit, worker in
                let seg = segments[unit / heads], h = unit % heads
                let scratchP = scratchP + worker * perWorker, scratchD = scratchD + worker * perWorker
                let s0 = seg.lowerBound, len = seg.count, pEnd = prefixEnds[unit / heads]
                do {
                    let q = qkv + s0 * ld + h * headDim, k = q + a, v = q + 2 * a
                    let dq = dqkv + s0 * ld + h * headDim, dk = dq + a, dv = dq + 2 * a
                    let dO = dOut + s0 * a + h * headDim, o = out + s0 * a + h * headDim
                    for q0 in stride(from: 0, to: len, by: bs) {
                        let q1 = min(len, q0 + bs), kEnd = min(len, Self.keyEnd(q1: q1, prefixEnd: pEnd)), m = q1 - q0
                        // Recompute P for this block from the saved log-sum-exp.
                        T.gemm(
                            transA: false, transB: true, m: m, n: kEnd, k: headDim, alpha: scale,
                            a: q + q0 * ld, lda: ld, b: k, ldb: ld, beta: 0, c: scratchP, ldc: kEnd)
                        for i in q0..<q1 {
                            _ = Self.softmaxRow(
                                scratchP + (i - q0) * kEnd, i: i, kEnd: kEnd,
                                prefix: prefixBase.map { $0 + s0 }, knownLSE: lse[(s0 + i) * heads + h])
                        }
                        // dP = dO Vᵀ, then dS = P ⊙ (dP − rowsum(dO ⊙ O)) in place of dP.
                        T.gemm(
                            transA: false, transB: true, m: m, n: kEnd, k: headDim, alpha: 1,
                            a: dO + q0 * a, lda: a, b: v, ldb: ld, beta: 0, c: scratchD, ldc: kEnd)
                        for i in q0..<q1 {
                            var rowDot: T = 0
                            for c in 0..<headDim { rowDot += dO[i * a + c] * o[i * a + c] }
                            let p = scratchP + (i - q0) * kEnd, ds = scratchD + (i - q0) * kEnd
                            for j in 0..<kEnd { ds[j] = p[j] * (ds[j] - rowDot) }
                        }
                        T.gemm(
                            transA: false, transB: false, m: m, n: headDim, k: kEnd, alpha: scale,
                            a: scratchD, lda: kEnd, b: k, ldb: ld, beta: 1, c: dq + q0 * ld, ldc: ld)
                        T.gemm(
                            transA: true, transB: false, m: kEnd, n: headDim, k: m, alpha: scale,
                            a: scratchD, lda: kEnd, b: q + q0 * ld, ldb: ld, beta: 1, c: dk, ldc: ld)
                        T.gemm(
                            transA: true, transB: false, m: kEnd, n: headDim, k: m, alpha: 1,
                            a: scratchP, lda: kEnd, b: dO + q0 * a, ldb: a, beta: 1, c: dv, ldc: ld)
                    }
                }
            }
        }
    }

    /// Scalars each scratch buffer needs for these segments: one block of scores per thread.
    public func scratchSize(_ segments: [Range<Int>]) -> Int {
        scratchPerWorker(segments) * threads.count
    }

    func scratchPerWorker(_ segments: [Range<Int>]) -> Int {
        let longest = segments.map(\.count).max() ?? 1
        return min(blockSize, longest) * longest
    }
}

extension Optional where Wrapped == [UInt8] {
    /// Runs `body` with a pointer to the array's storage, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<UInt8>?) throws -> R) rethrows -> R {
        switch self {
        case .none: return try body(nil)
        case .some(let array): return try array.withUnsafeBufferPointer { try body($0.baseAddress) }
        }
    }
}
