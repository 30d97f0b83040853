import Foundation
import PackedFormat

/// Measures the trainer's whole-step throughput against the raw `cblas_sgemm` rate on this machine,
/// both in the same process with the same thread setting.
public enum TrainBenchmark {
    public struct Result: Sendable {
        public var config: String
        public var tokensPerStep: Int
        public var secondsPerStep: Double
        public var tokensPerSecond: Double
        /// Useful model FLOPs per second (matrix products + causal attention, forward and backward).
        public var modelGFLOPS: Double
        public var sgemmSquareGFLOPS: Double
        public var sgemmModelShapeGFLOPS: Double
        public var threads: Int
    }

    /// GFLOP/s of `C[m,n] = A[m,k]·B[k,n]` (best of `reps` after one warm-up).
    public static func sgemmGFLOPS(m: Int, n: Int, k: Int, reps: Int = 5, transB: Bool = false) -> Double {
        let a = Buffer<Float>(count: m * k), b = Buffer<Float>(count: k * n), c = Buffer<Float>(count: m * n)
        for i in 0..<(m * k) { a[i] = Float(i % 13) * 0.01 }
        for i in 0..<(k * n) { b[i] = Float(i % 7) * 0.01 }
        let clock = ContinuousClock()
        var best = Double.infinity
        for r in 0...reps {
            let t0 = clock.now
            Float.gemm(
                transA: false, transB: transB, m: m, n: n, k: k, alpha: 1, a: a.pointer, lda: k, b: b.pointer,
                ldb: transB ? k : n, beta: 0, c: c.pointer, ldc: n)
            let dt = seconds(clock.now - t0)
            if r > 0 { best = min(best, dt) }
        }
        return 2 * Double(m) * Double(n) * Double(k) / best / 1e9
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// Synthetic packed rows: documents of 256–`seqLen` tokens packed back to back, random ids.
    public static func syntheticRows(count: Int, seqLen: Int, vocab: Int, seed: UInt64) -> [PackedRow] {
        var rng = KeyedRandom(seed: seed, name: "benchmark rows")
        return (0..<count).map { r in
            var tokens: [UInt32] = [], seg: [UInt16] = [], pos: [UInt16] = []
            var s: UInt16 = 1
            while tokens.count < seqLen {
                let len = min(seqLen - tokens.count, 256 + Int(rng.next() % UInt64(max(1, seqLen - 255))))
                for j in 0..<len {
                    tokens.append(UInt32(2 + rng.next() % UInt64(vocab - 2)))
                    seg.append(s)
                    pos.append(UInt16(j))
                }
                s += 1
            }
            return PackedRow(
                tokens: tokens, lossMask: [UInt8](repeating: 1, count: seqLen), segmentIds: seg, positions: pos,
                prefix: [UInt8](repeating: 0, count: seqLen), origin: "synthetic row \(r)")
        }
    }

    /// Runs `steps` full training steps (forward, backward, AdamW) of `rowsPerStep` rows after one warm-up step.
    public static func run(config: ModelConfig, rowsPerStep: Int, seqLen: Int, steps: Int, threads: Int) throws
        -> Result
    {
        BLASThreads.set(threads)
        HeapReuse.enable()
        let model = try MoEModel<Float>(config: config, options: MoEOptions(), seed: 1)
        model.threads = .shared
        let optimizer = AdamW<Float>(count: model.layout.total, settings: AdamWSettings())
        let rows = syntheticRows(count: rowsPerStep * (steps + 1), seqLen: seqLen, vocab: config.vocabSize, seed: 7)
        let clock = ContinuousClock()
        // sgemm is measured before and after the steps and the better rate kept, so a busy moment on a
        // shared machine cannot flatter the ratio.
        let squareBefore = sgemmGFLOPS(m: 1024, n: 1024, k: 1024)
        var total = 0.0, flops = 0.0, tokens = 0
        for s in 0...steps {
            let batch = try TokenBatch(
                rows: Array(rows[(s * rowsPerStep)..<((s + 1) * rowsPerStep)]), vocabSize: config.vocabSize)
            let t0 = clock.now
            model.zeroGrad()
            let stats = model.run(batch, scales: LossScales(targetsInStep: batch.targetCount, microBatchWeight: 1))
            let norm = AdamW<Float>.norm(model.grads, threads: model.threads)
            optimizer.update(
                params: model.params, grads: model.grads, layout: model.layout, lr: 1e-3,
                gradScale: norm > 1 ? 1 / norm : 1, threads: model.threads)
            let dt = seconds(clock.now - t0)
            if s > 0 { total += dt; flops += stats.flops; tokens += stats.tokens }
        }
        let square = max(squareBefore, sgemmGFLOPS(m: 1024, n: 1024, k: 1024))
        // A typical product of the step: tokens × (2·ffn) × d, as in every FFN's input projection.
        let shaped = sgemmGFLOPS(m: rowsPerStep * seqLen, n: 2 * config.ffnDim, k: config.dModel, transB: true)
        return Result(
            config: config.name, tokensPerStep: tokens / max(1, steps), secondsPerStep: total / Double(max(1, steps)),
            tokensPerSecond: Double(tokens) / total, modelGFLOPS: flops / total / 1e9,
            sgemmSquareGFLOPS: square, sgemmModelShapeGFLOPS: shaped, threads: threads)
    }
}
