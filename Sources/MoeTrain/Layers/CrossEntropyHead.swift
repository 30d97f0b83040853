/// Sums over the loss positions of one micro-batch.
public struct HeadStats: Sendable {
    public var ceSum = 0.0
    /// Σ lse² of the output logits (PaLM/t5x output z-loss).
    public var outputZSum = 0.0
    public var targets = 0
}

/// The LM head and the masked next-token cross-entropy, forward and backward fused (llm.c style):
/// logits exist only for the rows that carry a loss, a chunk at a time, and each chunk's logits become
/// its gradient in place before the next chunk, so the [tokens × vocabulary] matrix is never whole.
///
/// Per row with `lse = log Σ exp z`: loss `lse − z_y`; output z-loss `lse²`; with weights `c` (= 1/N
/// targets of the step) and `c_z`: `dz = softmax(z)·(c + 2·c_z·lse) − c·onehot(y)`.
public enum CrossEntropyHead {
    /// Rows per chunk so a chunk's logits stay near, and below, 8M scalars: 32 MiB of Float with
    /// malloc's header is under glibc's largest mmap threshold, so with `HeapReuse` the buffer comes
    /// from the heap step after step instead of a fresh mapping whose pages fault again.
    static func chunkRows(vocab: Int) -> Int { max(1, min(1024, ((8 << 20) - 8) / max(vocab, 1))) }

    /// `rows` are the token indices with a loss, `targets[t]` their labels. When `dhidden` is given, the
    /// gradient is written there (`+=`) and into `dweight`.
    @_specialize(where T == Float)
    public static func run<T: TrainScalar>(
        hidden: UnsafePointer<T>, weight: UnsafePointer<T>, rows: [Int32],
        targets: [Int32], vocab: Int, d: Int, ceScale: T, outputZScale: T,
        dhidden: UnsafeMutablePointer<T>?, dweight: UnsafeMutablePointer<T>?, threads: TrainThreads = .single
    ) -> HeadStats {
        var stats = HeadStats()
        let chunk = chunkRows(vocab: vocab)
        let h = Buffer<T>(count: min(chunk, max(rows.count, 1)) * d)
        let logits = Buffer<T>(count: min(chunk, max(rows.count, 1)) * vocab)
        let dh = Buffer<T>(count: min(chunk, max(rows.count, 1)) * d)
        let rowLosses = Buffer<Double>(count: chunk), rowZ = Buffer<Double>(count: chunk)
        let rowsPerUnit = 16
        for c0 in stride(from: 0, to: rows.count, by: chunk) {
            let m = min(chunk, rows.count - c0)
            for i in 0..<m { (h.pointer + i * d).update(from: hidden + Int(rows[c0 + i]) * d, count: d) }
            Linear.forward(
                y: logits.pointer, ldy: vocab, x: h.pointer, ldx: d, w: weight, n: m, inDim: d, outDim: vocab)
            // Rows are independent: blocks of them run on every thread; each row's loss terms are
            // kept and summed afterwards in row order, as one thread sums them.
            let logitsBase = logits.pointer, losses = rowLosses.pointer, zTerms = rowZ.pointer
            threads.parallelFor((m + rowsPerUnit - 1) / rowsPerUnit) { unit, _ in
                for i in (unit * rowsPerUnit)..<min(m, (unit + 1) * rowsPerUnit) {
                    let z = logitsBase + i * vocab, y = Int(targets[Int(rows[c0 + i])])
                    var mx = z[0]
                    for v in 1..<vocab { mx = max(mx, z[v]) }
                    let target = z[y]
                    let sum = T.expShiftedSum(z, count: vocab, shift: mx)
                    let lse = mx + T.log(sum)
                    losses[i] = Double(lse - target)
                    zTerms[i] = Double(lse) * Double(lse)
                    let k = (ceScale + 2 * outputZScale * lse) / sum
                    for v in 0..<vocab { z[v] *= k }
                    z[y] -= ceScale
                }
            }
            for i in 0..<m {
                stats.ceSum += losses[i]
                stats.outputZSum += zTerms[i]
            }
            stats.targets += m
            guard let dhidden, let dweight else { continue }
            dh.zero()
            Linear.backward(
                dx: dh.pointer, lddx: d, dw: dweight, dy: logits.pointer, lddy: vocab, x: h.pointer,
                ldx: d, w: weight, n: m, inDim: d, outDim: vocab)
            for i in 0..<m {
                let dst = dhidden + Int(rows[c0 + i]) * d, src = dh.pointer + i * d
                for c in 0..<d { dst[c] += src[c] }
            }
        }
        return stats
    }
}
