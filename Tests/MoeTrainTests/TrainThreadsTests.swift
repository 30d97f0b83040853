import Foundation
import MoeTestSupport
import Testing

@testable import MoeTrain

/// The trainer's own threads run attention per (segment, head) and the vocabulary softmax per row
/// block: every unit once, and the same bits whatever the number of threads (each unit writes only
/// its own outputs; the losses are summed in row order afterwards).
@Suite(.serialized) struct TrainThreadsTests {
    @Test(arguments: [1, 2, 3, 4])
    func everyUnitRunsOnceOnAWorkerOfThePool(threads: Int) {
        let pool = TrainThreads(count: threads)
        defer { pool.stop() }
        GlobalState.withLock { runUnits(pool, threads: threads) }
    }

    func runUnits(_ pool: TrainThreads, threads: Int) {
        for units in [0, 1, 5, 1000] {
            let lock = NSLock()
            var seen = [Int](repeating: 0, count: units)
            var workers = Set<Int>()
            pool.parallelFor(units) { unit, worker in
                lock.withLock {
                    seen[unit] += 1
                    workers.insert(worker)
                }
            }
            #expect(seen.allSatisfy { $0 == 1 }, "\(units) units on \(threads) threads")
            #expect(workers.allSatisfy { (0..<threads).contains($0) })
        }
    }

    /// Attention's forward and backward, on segments of several blocks with a prefix, give the same
    /// bits on 1 and 3 threads.
    @Test(arguments: [false, true])
    func attentionIsTheSameOnOneAndThreeThreads(prefix withPrefix: Bool) {
        let heads = 4, hd = 8, a = heads * hd, segments = [0..<40, 40..<47, 47..<100], n = 100
        let prefix: [UInt8]? = withPrefix ? (0..<n).map { $0 % 40 < 5 ? 1 : 0 } : nil
        let qkv = Fixtures.randoms(n * 3 * a, seed: 3).map(Float.init)
        let dOut = Fixtures.randoms(n * a, seed: 4).map(Float.init)
        func run(threads: Int) -> [Float] {
            let pool = TrainThreads(count: threads)
            defer { pool.stop() }
            let attention = Attention<Float>(heads: heads, headDim: hd, blockSize: 16, threads: pool)
            let s1 = Buffer<Float>(count: attention.scratchSize(segments))
            let s2 = Buffer<Float>(count: attention.scratchSize(segments))
            var out = [Float](repeating: 0, count: n * a), lse = [Float](repeating: 0, count: n * heads)
            var dqkv = [Float](repeating: 0, count: n * 3 * a)
            attention.forward(
                out: &out, lse: &lse, qkv: qkv, segments: segments, prefix: prefix, scratch: s1.pointer)
            attention.backward(
                dqkv: &dqkv, dOut: dOut, out: out, lse: lse, qkv: qkv, segments: segments, prefix: prefix,
                scratchP: s1.pointer, scratchD: s2.pointer)
            return out + lse + dqkv
        }
        // Locked: a pool of several threads sets OpenBLAS's (process-wide) thread count while it runs.
        let (one, three) = GlobalState.withLock { (run(threads: 1), run(threads: 3)) }
        #expect(one.contains { $0 != 0 })
        #expect(three.map(\.bitPattern) == one.map(\.bitPattern))
    }

    /// The fused head and cross-entropy: the same losses and gradients on 1 and 3 threads.
    @Test func crossEntropyIsTheSameOnOneAndThreeThreads() {
        let d = 16, vocab = 300, n = 70
        let hidden = Fixtures.randoms(n * d, seed: 5).map(Float.init)
        let weight = Fixtures.randoms(vocab * d, seed: 6, scale: 0.1).map(Float.init)
        let rows = (0..<Int32(n)).filter { $0 % 7 != 3 }
        let targets = (0..<n).map { Int32(($0 * 37) % vocab) }
        func run(threads: Int) -> (HeadStats, [Float]) {
            let pool = TrainThreads(count: threads)
            defer { pool.stop() }
            var dh = [Float](repeating: 0, count: n * d), dw = [Float](repeating: 0, count: vocab * d)
            let stats = CrossEntropyHead.run(
                hidden: hidden, weight: weight, rows: rows, targets: targets, vocab: vocab, d: d,
                ceScale: 1 / Float(rows.count), outputZScale: 1e-4, dhidden: &dh, dweight: &dw, threads: pool)
            return (stats, dh + dw)
        }
        let ((stats1, grads1), (stats3, grads3)) = GlobalState.withLock { (run(threads: 1), run(threads: 3)) }
        #expect(stats1.ceSum > 0 && stats1.targets == rows.count)
        #expect(stats3.ceSum.bitPattern == stats1.ceSum.bitPattern)
        #expect(stats3.outputZSum.bitPattern == stats1.outputZSum.bitPattern)
        #expect(grads3.map(\.bitPattern) == grads1.map(\.bitPattern))
    }

    /// A whole step (forward, backward, gradient norm, AdamW) on a model whose every loop has several
    /// blocks (400 tokens, tensors of more than one AdamW piece): the norms, rotary, SwiGLU, routing,
    /// dispatch, the combine of the experts' outputs and the optimizer give the same bits on 1 and 3
    /// threads, with OpenBLAS's thread count the same in both.
    @Test(arguments: [MoEOptions.GateWeights.raw, .renormalized])
    func aWholeStepIsTheSameOnOneAndThreeThreads(gates: MoEOptions.GateWeights) throws {
        let config = ModelConfig(
            name: "threads", vocabSize: 5000, dModel: 16, layers: 2, heads: 2, headDim: 8, ffnDim: 24,
            experts: 4, topK: 2, moeEvery: 2, sharedExpert: true)
        var options = MoEOptions()
        options.gateWeights = gates
        options.groupSize = 128
        let rows = [
            Fixtures.row(
                [Fixtures.doc(130, seed: 1, vocab: 5000), Fixtures.doc(70, seed: 2, vocab: 5000)], length: 200,
                prefixLengths: [20, 0]),
            Fixtures.row([Fixtures.doc(190, seed: 3, vocab: 5000)], length: 200),
        ]
        let batch = try TokenBatch(rows: rows, vocabSize: config.vocabSize)
        #expect(batch.count > 6 * RMSNorm.blockRows)
        func step(threads: Int) throws -> [UInt64] {
            let pool = TrainThreads(count: threads)
            defer { pool.stop() }
            let model = try MoEModel<Float>(config: config, options: options, seed: 5, initStd: 0.3, routerStd: 0.5)
            #expect(model.layout.tensors.contains { $0.count > 2 * AdamW<Float>.pieceSize })
            model.threads = pool
            let optimizer = AdamW<Float>(count: model.layout.total, settings: AdamWSettings())
            var record: [Double] = []
            for _ in 0..<2 {
                model.zeroGrad()
                let stats = model.run(batch, scales: LossScales(targetsInStep: batch.targetCount, microBatchWeight: 1))
                let norm = AdamW<Float>.norm(model.grads, threads: pool)
                record += model.grads.array.map(Double.init) + [norm, stats.auxLoss.reduce(0, +)]
                record += [stats.routerZLoss.reduce(0, +), Double(stats.dropped.reduce(0, +))]
                optimizer.update(
                    params: model.params, grads: model.grads, layout: model.layout, lr: 1e-2,
                    gradScale: norm > 1 ? 1 / norm : 1, threads: pool)
            }
            let state = model.params.array + optimizer.m.array + optimizer.v.array
            return (record + state.map(Double.init)).map(\.bitPattern)
        }
        let (one, three) = try GlobalState.withLock { (try step(threads: 1), try step(threads: 3)) }
        #expect(one.contains { $0 != 0 })
        let differing = zip(one, three).filter { $0 != $1 }.count
        #expect(three.count == one.count && differing == 0, "\(differing) of \(one.count) values differ")
    }

    /// Idle OpenBLAS threads sleep after 2^16 cycles instead of spinning 2^28 (about 0.1 s), which
    /// took a core from the trainer's own loops between two products.
    @Test func idleOpenBLASThreadsDoNotSpinLong() {
        let user = ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"]
        let exponent = GlobalState.withLock { BLASThreads.idleSpinExponent }
        #expect(exponent == Int(user ?? OpenBLASLibrary.threadTimeoutExponent), "\(String(describing: exponent))")
    }

    /// glibc takes the thresholds that keep a step's freed memory for the next step (`HeapReuse`).
    @Test func freedStepMemoryStaysInTheHeap() {
        #expect(HeapReuse.enable())
        #expect(CrossEntropyHead.chunkRows(vocab: 8192) * 8192 * 4 + 16 < Int(HeapReuse.mmapThreshold))
    }
}
