import PackedFormat
import Testing

@testable import MoeTrain

/// Finite-difference checks in Double of every layer's hand-written backward, then of the whole model.
/// Each layer check uses the objective L = ⟨R, f(x)⟩ for a random R, so the backward's input is R.
@Suite struct GradientCheckTests {
    /// Float64 central differences with eps 1e-6 are good to ~1e-8 relative; 1e-5 leaves margin.
    let tolerance = 1e-5

    func dot(_ a: UnsafePointer<Double>, _ b: [Double]) -> Double {
        var s = 0.0
        for i in b.indices { s += a[i] * b[i] }
        return s
    }

    @Test func rmsNorm() {
        let n = 3, d = 5
        let x = Buffer<Double>(count: n * d), g = Buffer<Double>(count: d), y = Buffer<Double>(count: n * d)
        let r = Buffer<Double>(count: n)
        for (i, v) in Fixtures.randoms(n * d, seed: 1).enumerated() { x[i] = v }
        for (i, v) in Fixtures.randoms(d, seed: 2).enumerated() { g[i] = 1 + 0.3 * v }
        let upstream = Fixtures.randoms(n * d, seed: 3)
        func loss() -> Double {
            RMSNorm.forward(y: y.pointer, rstd: r.pointer, x: x.pointer, gain: g.pointer, n: n, d: d, eps: 1e-6)
            return dot(y.pointer, upstream)
        }
        _ = loss()
        let dx = Buffer<Double>(count: n * d), dg = Buffer<Double>(count: d)
        RMSNorm.backward(
            dx: dx.pointer, dgain: dg.pointer, dy: upstream, x: x.pointer, rstd: r.pointer, gain: g.pointer,
            n: n, d: d)
        #expect(
            finiteDifferenceError(x.pointer, indices: Array(0..<(n * d)), analytic: { dx[$0] }, loss: loss) < tolerance)
        #expect(finiteDifferenceError(g.pointer, indices: Array(0..<d), analytic: { dg[$0] }, loss: loss) < tolerance)
    }

    @Test func swiGLU() {
        let n = 4, d = 5, f = 3
        let x = Buffer<Double>(count: n * d), wIn = Buffer<Double>(count: 2 * f * d),
            wOut = Buffer<Double>(count: d * f)
        for (i, v) in Fixtures.randoms(n * d, seed: 4).enumerated() { x[i] = v }
        for (i, v) in Fixtures.randoms(2 * f * d, seed: 5, scale: 0.7).enumerated() { wIn[i] = v }
        for (i, v) in Fixtures.randoms(d * f, seed: 6, scale: 0.7).enumerated() { wOut[i] = v }
        let upstream = Fixtures.randoms(n * d, seed: 7)
        let y = Buffer<Double>(count: n * d), a = Buffer<Double>(count: n * 2 * f), u = Buffer<Double>(count: n * f)
        func loss() -> Double {
            SwiGLU.forward(
                y: y.pointer, a: a.pointer, u: u.pointer, x: x.pointer, wIn: wIn.pointer, wOut: wOut.pointer,
                n: n, d: d, f: f, accumulate: false)
            return dot(y.pointer, upstream)
        }
        _ = loss()
        let dx = Buffer<Double>(count: n * d), dIn = Buffer<Double>(count: 2 * f * d),
            dOut = Buffer<Double>(count: d * f)
        SwiGLU.backward(
            dx: dx.pointer, dwIn: dIn.pointer, dwOut: dOut.pointer, dy: upstream, x: x.pointer, a: a.pointer,
            u: u.pointer, wIn: wIn.pointer, wOut: wOut.pointer, n: n, d: d, f: f)
        #expect(
            finiteDifferenceError(x.pointer, indices: Array(0..<(n * d)), analytic: { dx[$0] }, loss: loss) < tolerance)
        #expect(
            finiteDifferenceError(wIn.pointer, indices: Array(0..<(2 * f * d)), analytic: { dIn[$0] }, loss: loss)
                < tolerance)
        #expect(
            finiteDifferenceError(wOut.pointer, indices: Array(0..<(d * f)), analytic: { dOut[$0] }, loss: loss)
                < tolerance)
    }

    /// Rotary + attention over two segments, with 3-query blocks so several blocks and the prefix path run.
    @Test(arguments: [false, true])
    func attentionWithRotary(bidirectionalPrefix: Bool) {
        let heads = 2, hd = 4, a = heads * hd, segments = [0..<7, 7..<12], n = 12
        let positions: [Int32] = segments.flatMap { s in s.map { Int32($0 - s.lowerBound) } }
        let prefix: [UInt8] = [1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0]
        let attention = Attention<Double>(heads: heads, headDim: hd, blockSize: 3)
        let rotary = Rotary<Double>(headDim: hd, maxPosition: 8, base: 10_000)
        let raw = Buffer<Double>(count: n * 3 * a)
        for (i, v) in Fixtures.randoms(n * 3 * a, seed: 8).enumerated() { raw[i] = v }
        let upstream = Fixtures.randoms(n * a, seed: 9)
        let qkv = Buffer<Double>(count: n * 3 * a), out = Buffer<Double>(count: n * a),
            lse = Buffer<Double>(count: n * heads)
        let s1 = Buffer<Double>(count: attention.scratchSize(segments)),
            s2 = Buffer<Double>(count: attention.scratchSize(segments))
        let p: [UInt8]? = bidirectionalPrefix ? prefix : nil
        func loss() -> Double {
            qkv.pointer.update(from: raw.pointer, count: n * 3 * a)
            rotary.apply(qkv.pointer, positions: positions, heads: heads, inverse: false)
            attention.forward(
                out: out.pointer, lse: lse.pointer, qkv: qkv.pointer, segments: segments, prefix: p,
                scratch: s1.pointer)
            return dot(out.pointer, upstream)
        }
        _ = loss()
        let dqkv = Buffer<Double>(count: n * 3 * a)
        attention.backward(
            dqkv: dqkv.pointer, dOut: upstream, out: out.pointer, lse: lse.pointer, qkv: qkv.pointer,
            segments: segments, prefix: p, scratchP: s1.pointer, scratchD: s2.pointer)
        rotary.apply(dqkv.pointer, positions: positions, heads: heads, inverse: true)
        #expect(
            finiteDifferenceError(raw.pointer, indices: Array(0..<(n * 3 * a)), analytic: { dqkv[$0] }, loss: loss)
                < tolerance)

        // The mask itself: changing a key of the second segment leaves the first segment's outputs alone,
        // and (causal) a later key never moves an earlier query.
        let before = out.array
        raw[(9 * 3 * a) + a] += 1  // key of token 9 (segment 2)
        raw[(5 * 3 * a) + a] += 1  // key of token 5 (segment 1, after the prefix)
        _ = loss()
        let after = out.array
        #expect(Array(before[0..<(5 * a)]) == Array(after[0..<(5 * a)]))
        #expect(Array(before[(7 * a)..<(9 * a)]) == Array(after[(7 * a)..<(9 * a)]))
        #expect(Array(before[(5 * a)..<(7 * a)]) != Array(after[(5 * a)..<(7 * a)]))
    }

    /// The MoE layer as a whole — router softmax, top-2, capacity dropping, gates, experts, shared FFN,
    /// balance loss and router z-loss — against central differences.
    @Test(arguments: [MoEOptions.GateWeights.raw, .renormalized], [false, true])
    func moeLayer(gates: MoEOptions.GateWeights, dropless: Bool) {
        let n = 9, d = 6, f = 5, experts = 4
        var options = MoEOptions()
        options.gateWeights = gates
        options.dropless = dropless
        options.capacityFactorTrain = 1.0
        options.minCapacity = 1
        let layer = MoELayer<Double>(d: d, f: f, experts: experts, topK: 2, options: options)
        let sizes =
            [experts * d] + Array(repeating: 2 * f * d, count: experts) + Array(repeating: d * f, count: experts)
            + [2 * f * d, d * f]
        let total = sizes.reduce(0, +)
        let theta = Buffer<Double>(count: total), grads = Buffer<Double>(count: total)
        for (i, v) in Fixtures.randoms(total, seed: 10, scale: 0.5).enumerated() { theta[i] = v }
        func weights(_ base: UnsafeMutablePointer<Double>) -> MoELayer<Double>.Weights {
            var offsets: [Int] = [0]
            for s in sizes { offsets.append(offsets.last! + s) }
            return .init(
                router: base, expertIn: (0..<experts).map { base + offsets[1 + $0] },
                expertOut: (0..<experts).map { base + offsets[1 + experts + $0] },
                sharedIn: base + offsets[1 + 2 * experts], sharedOut: base + offsets[2 + 2 * experts])
        }
        let x = Buffer<Double>(count: n * d)
        for (i, v) in Fixtures.randoms(n * d, seed: 11).enumerated() { x[i] = v }
        let upstream = Fixtures.randoms(n * d, seed: 12)
        let auxScale = 0.3, zScale = 0.2
        var lastCache: MoECache<Double>?
        func loss() -> Double {
            let y = Buffer<Double>(count: n * d)
            let cache = layer.forward(y: y.pointer, x: x.pointer, n: n, w: weights(theta.pointer), training: true)
            lastCache = cache
            return dot(y.pointer, upstream) + auxScale * cache.routing.auxLoss + zScale * cache.routing.zLoss
        }
        _ = loss()
        guard let cache = lastCache else { Issue.record("no cache"); return }
        #expect(dropless ? cache.routing.dropped == 0 : cache.routing.dropped > 0)
        let dx = Buffer<Double>(count: n * d)
        layer.backward(
            dx: dx.pointer, dy: upstream, x: x.pointer, n: n, w: weights(theta.pointer),
            grads: weights(grads.pointer), cache: cache, auxScale: auxScale, zScale: zScale)
        #expect(
            finiteDifferenceError(x.pointer, indices: Array(0..<(n * d)), analytic: { dx[$0] }, loss: loss) < tolerance)
        #expect(
            finiteDifferenceError(theta.pointer, indices: Array(0..<total), analytic: { grads[$0] }, loss: loss)
                < tolerance)
    }

    /// The router alone with only its losses: the balance-loss and z-loss gradients are not hidden by larger terms.
    @Test func routerLossesAlone() {
        let n = 7, d = 5, experts = 4
        let x = Buffer<Double>(count: n * d), wr = Buffer<Double>(count: experts * d)
        for (i, v) in Fixtures.randoms(n * d, seed: 13).enumerated() { x[i] = v }
        for (i, v) in Fixtures.randoms(experts * d, seed: 14).enumerated() { wr[i] = v }
        var options = MoEOptions()
        options.groupSize = 4  // two groups: 4 + 3 tokens
        func loss() -> Double {
            let r = Router.forward(
                x: x.pointer, wr: wr.pointer, n: n, d: d, experts: experts, topK: 2, options: options,
                training: true)
            return 0.7 * r.auxLoss + 0.4 * r.zLoss
        }
        let r = Router.forward(
            x: x.pointer, wr: wr.pointer, n: n, d: d, experts: experts, topK: 2, options: options,
            training: true)
        #expect(r.groups.count == 2)
        let dx = Buffer<Double>(count: n * d), dwr = Buffer<Double>(count: experts * d)
        Router.backward(
            dx: dx.pointer, dwr: dwr.pointer, x: x.pointer, wr: wr.pointer, routing: r,
            gateGrad: [Double](repeating: 0, count: n * 2), options: options, auxScale: 0.7, zScale: 0.4, d: d)
        #expect(
            finiteDifferenceError(wr.pointer, indices: Array(0..<(experts * d)), analytic: { dwr[$0] }, loss: loss)
                < tolerance)
        #expect(
            finiteDifferenceError(x.pointer, indices: Array(0..<(n * d)), analytic: { dx[$0] }, loss: loss) < tolerance)
    }

    @Test func crossEntropyHeadWithOutputZLoss() {
        let n = 6, d = 5, vocab = 7
        let h = Buffer<Double>(count: n * d), w = Buffer<Double>(count: vocab * d)
        for (i, v) in Fixtures.randoms(n * d, seed: 15).enumerated() { h[i] = v }
        for (i, v) in Fixtures.randoms(vocab * d, seed: 16).enumerated() { w[i] = v }
        let rows: [Int32] = [0, 2, 3, 5], targets: [Int32] = [1, 0, 6, 3, 2, 5]
        func loss() -> Double {
            let s = CrossEntropyHead.run(
                hidden: h.pointer, weight: w.pointer, rows: rows, targets: targets, vocab: vocab,
                d: d, ceScale: 0.25, outputZScale: 0.1, dhidden: nil, dweight: nil)
            return 0.25 * s.ceSum + 0.1 * s.outputZSum
        }
        let dh = Buffer<Double>(count: n * d), dw = Buffer<Double>(count: vocab * d)
        _ = CrossEntropyHead.run(
            hidden: h.pointer, weight: w.pointer, rows: rows, targets: targets, vocab: vocab, d: d,
            ceScale: 0.25, outputZScale: 0.1, dhidden: dh.pointer, dweight: dw.pointer)
        #expect(
            finiteDifferenceError(h.pointer, indices: Array(0..<(n * d)), analytic: { dh[$0] }, loss: loss) < tolerance)
        #expect(
            finiteDifferenceError(w.pointer, indices: Array(0..<(vocab * d)), analytic: { dw[$0] }, loss: loss)
                < tolerance)
        #expect(dh[1 * d] == 0)  // row 1 carries no loss
    }

    /// Whole model, every tensor (entries sampled), under routing/loss variants; router losses weighted up
    /// so their gradients matter at this size.
    @Test(arguments: [0, 1, 2])
    func wholeModel(variant: Int) throws {
        var options = MoEOptions()
        options.auxLossWeight = 0.5
        options.routerZLossWeight = 0.3
        options.outputZLossWeight = variant == 1 ? 0.2 : 0
        options.gateWeights = variant == 2 ? .renormalized : .raw
        options.dropless = variant == 2
        options.bidirectionalPrefix = variant == 1
        options.capacityFactorTrain = 1.0
        options.minCapacity = 2
        let config = Fixtures.tinyConfig(shared: variant != 2)
        let model = try MoEModel<Double>(config: config, options: options, seed: 3, initStd: 0.4, routerStd: 0.5)
        let rows = [
            Fixtures.row(
                [Fixtures.doc(6, seed: 1, vocab: 23), Fixtures.doc(5, seed: 2, vocab: 23)], length: 14,
                prefixLengths: [2, 0]),
            Fixtures.row([Fixtures.doc(9, seed: 3, vocab: 23)], length: 14, prefixLengths: [3]),
        ]
        let batch = try TokenBatch(rows: rows, vocabSize: config.vocabSize)
        let scales = LossScales(targetsInStep: batch.targetCount + 3, microBatchWeight: 0.5)
        model.zeroGrad()
        let stats = model.run(batch, scales: scales)
        if variant != 2 { #expect(stats.dropped.reduce(0, +) > 0) }
        func loss() -> Double {
            model.run(batch, scales: scales, computeGradients: false).objective(options: options, scales: scales)
        }
        var rng = KeyedRandom(seed: 9, name: "indices")
        var worst = 0.0
        for tensor in model.layout.tensors {
            let picks = (0..<3).map { _ in tensor.offset + Int(rng.next() % UInt64(tensor.count)) }
            let err = finiteDifferenceError(
                model.params.pointer, indices: picks, analytic: { model.grads[$0] }, loss: loss)
            if err >= tolerance { Issue.record("\(tensor.name): relative error \(err)") }
            worst = max(worst, err)
        }
        #expect(worst < tolerance)

        // Directional derivative over all parameters at once.
        let direction = Fixtures.randoms(model.layout.total, seed: 21)
        var analytic = 0.0
        for i in direction.indices { analytic += direction[i] * model.grads[i] }
        let saved = model.params.array, eps = 1e-6
        for i in direction.indices { model.params[i] = saved[i] + eps * direction[i] }
        let plus = loss()
        for i in direction.indices { model.params[i] = saved[i] - eps * direction[i] }
        let minus = loss()
        for i in direction.indices { model.params[i] = saved[i] }
        let numeric = (plus - minus) / (2 * eps)
        #expect(abs(numeric - analytic) / max(abs(analytic), 1e-7) < tolerance)
    }
}
