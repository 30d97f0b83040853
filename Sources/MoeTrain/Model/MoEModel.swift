import PackedFormat

/// Normalisation of the step's losses, known before the step's first micro-batch runs.
public struct LossScales: Sendable {
    /// Targets in the whole step (all micro-batches): cross-entropy and output z-loss are divided by it,
    /// so accumulating micro-batches gives exactly the gradient of one big batch.
    public var targetsInStep: Int
    /// 1 / micro-batches per step: the router losses are per micro-batch means, averaged over the step.
    public var microBatchWeight: Double

    public init(targetsInStep: Int, microBatchWeight: Double) {
        self.targetsInStep = targetsInStep
        self.microBatchWeight = microBatchWeight
    }
}

/// What one micro-batch's forward measured.
public struct BatchStats: Sendable {
    public var head = HeadStats()
    /// Per MoE layer: balance loss, router z-loss, assignments each expert took, assignments dropped.
    public var auxLoss: [Double] = []
    public var routerZLoss: [Double] = []
    public var expertLoad: [[Int]] = []
    public var dropped: [Int] = []
    public var assignments: [Int] = []
    public var tokens = 0
    /// Useful FLOPs of forward + backward (matrix products, attention counted causally).
    public var flops = 0.0

    /// The scalar the backward differentiates, for this micro-batch alone.
    public func objective(options: MoEOptions, scales: LossScales) -> Double {
        let denominator = Double(max(1, scales.targetsInStep))
        var value = (head.ceSum + options.outputZLossWeight * head.outputZSum) / denominator
        if !auxLoss.isEmpty {
            let layers = Double(auxLoss.count)
            value +=
                scales.microBatchWeight
                * (options.auxLossWeight * auxLoss.reduce(0, +) / layers
                    + options.routerZLossWeight * routerZLoss.reduce(0, +) / layers)
        }
        return value
    }
}

/// Activations of one transformer block kept for its backward.
final class BlockCache<T: TrainScalar> {
    let input: Buffer<T>  // x, the block's input (residual stream; not modified after the block)
    let attnIn: Buffer<T>  // RMSNorm(x)
    let attnRstd: Buffer<T>
    let qkv: Buffer<T>  // post-rotary
    let lse: Buffer<T>  // [n, heads]
    let attnOut: Buffer<T>  // [n, A] before the output projection
    let mid: Buffer<T>  // x + attention
    let ffnIn: Buffer<T>  // RMSNorm(mid)
    let ffnRstd: Buffer<T>
    var ffnHidden: Buffer<T>?
    var ffnAct: Buffer<T>?
    var moe: MoECache<T>?

    init(n: Int, c: ModelConfig, input: Buffer<T>) {
        let d = c.dModel, a = c.attnDim
        self.input = input
        attnIn = Buffer(count: n * d)
        attnRstd = Buffer(count: n)
        qkv = Buffer(count: n * 3 * a)
        lse = Buffer(count: n * c.heads)
        attnOut = Buffer(count: n * a)
        mid = Buffer(count: n * d)
        ffnIn = Buffer(count: n * d)
        ffnRstd = Buffer(count: n)
    }
}

/// The decoder-only MoE transformer: embeddings → blocks (RMSNorm, rotary causal attention within
/// segments, RMSNorm, dense SwiGLU FFN or MoE + shared FFN, pre-norm residuals) → RMSNorm → untied LM head.
/// Parameters and gradients are two flat buffers indexed by `layout`.
public final class MoEModel<T: TrainScalar> {
    public let config: ModelConfig
    public var options: MoEOptions
    public let layout: ParameterLayout
    public let params: Buffer<T>
    public let grads: Buffer<T>
    /// cos/sin tables, rebuilt only when a batch has a longer segment than any before.
    private var rotaryCache: Rotary<T>?
    /// Called with (MoE layer index among the MoE layers, its routing) after each MoE layer's forward;
    /// the routing analysis records token → expert decisions through it. Nil (the default) costs nothing.
    public var routingObserver: ((Int, Routing<T>) -> Void)?
    /// The threads of the loops OpenBLAS does not run (`TrainThreads`): attention, the vocabulary
    /// softmax, norms, rotary, SwiGLU's element-wise work, routing and dispatch; one unless set.
    public var threads: TrainThreads = .single

    /// Random initialisation keyed by `seed` and each tensor's name: N(0, initStd) for matrices, with the
    /// residual output projections scaled by 1/√(2·layers) (GPT-2); the router N(0, 0.02) as OpenMoE;
    /// norm gains 1.
    @_specialize(where T == Float)
    public init(
        config: ModelConfig, options: MoEOptions, seed: UInt64, initStd: Double = 0.02,
        routerStd: Double = 0.02
    ) throws {
        try config.validate()
        self.config = config
        self.options = options
        layout = ParameterLayout(config)
        params = Buffer(count: layout.total)
        grads = Buffer(count: layout.total)
        let residualScale = 1 / (2 * Double(config.layers)).squareRoot()
        for tensor in layout.tensors {
            let p = params.pointer + tensor.offset
            if tensor.shape.count == 1 {
                for i in 0..<tensor.count { p[i] = 1 }
                continue
            }
            var rng = KeyedRandom(seed: seed, name: tensor.name)
            var std = initStd
            if tensor.name.hasSuffix("wo") || tensor.name.hasSuffix("w_out") { std *= residualScale }
            if tensor.name.hasSuffix("router") { std = routerStd }
            for i in 0..<tensor.count { p[i] = T(rng.normal() * std) }
        }
    }

    func param(_ offset: Int) -> UnsafeMutablePointer<T> { params.pointer + offset }
    func grad(_ offset: Int) -> UnsafeMutablePointer<T> { grads.pointer + offset }

    func moeWeights(_ l: LayerOffsets, _ base: UnsafeMutablePointer<T>) -> MoELayer<T>.Weights {
        MoELayer<T>.Weights(
            router: base + (l.router ?? 0), expertIn: l.experts.map { base + $0.wIn },
            expertOut: l.experts.map { base + $0.wOut }, sharedIn: l.ffn.map { base + $0.wIn },
            sharedOut: l.ffn.map { base + $0.wOut })
    }

    var moeLayer: MoELayer<T> {
        MoELayer(
            d: config.dModel, f: config.ffnDim, experts: config.experts, topK: config.topK, options: options,
            threads: threads)
    }

    /// What every block of one micro-batch shares: the batch, rotary tables, attention scratch, loss scales.
    struct Pass {
        let batch: TokenBatch
        let rotary: Rotary<T>
        let attention: Attention<T>
        let scratch: Buffer<T>
        let scratch2: Buffer<T>
        let prefix: [UInt8]?
        let training: Bool
        let auxScale: T
        let zScale: T
        var n: Int { batch.count }
    }

    /// Runs the forward pass of one micro-batch and, with `computeGradients`, its backward, accumulating
    /// (`+=`) into `grads`. `training` picks the capacity factor (1.25 train, 2.0 eval by default).
    public func run(
        _ batch: TokenBatch, scales: LossScales, training: Bool = true,
        computeGradients: Bool = true
    ) -> BatchStats {
        let c = config, n = batch.count, d = c.dModel
        var stats = BatchStats()
        stats.tokens = n
        guard n > 0 else { return stats }
        if (rotaryCache?.maxPosition ?? 0) <= batch.maxPosition {
            rotaryCache = Rotary<T>(headDim: c.headDim, maxPosition: max(batch.maxPosition + 1, 2048), base: c.ropeBase)
        }
        guard let rotary = rotaryCache else { return stats }
        let attention = Attention<T>(heads: c.heads, headDim: c.headDim, threads: threads)
        let scratch = Buffer<T>(count: attention.scratchSize(batch.segments))
        let moeCount = Double(max(1, c.moeLayerCount))
        let pass = Pass(
            batch: batch, rotary: rotary, attention: attention, scratch: scratch,
            scratch2: computeGradients ? Buffer<T>(count: scratch.count) : scratch,
            prefix: options.bidirectionalPrefix ? batch.prefix : nil, training: training,
            auxScale: T(options.auxLossWeight * scales.microBatchWeight / moeCount),
            zScale: T(options.routerZLossWeight * scales.microBatchWeight / moeCount))

        // Forward: embedding, blocks, final norm.
        var x = Buffer<T>(count: n * d)
        Embedding.forward(x: x.pointer, table: param(layout.embed), ids: batch.inputs, d: d)
        var caches: [BlockCache<T>] = []
        for l in layout.layers {
            let (cache, next) = forwardBlock(l, input: x, pass: pass, stats: &stats)
            caches.append(cache)
            x = next
        }
        let finalHidden = Buffer<T>(count: n * d), finalRstd = Buffer<T>(count: n)
        RMSNorm.forward(
            y: finalHidden.pointer, rstd: finalRstd.pointer, x: x.pointer, gain: param(layout.finalNorm),
            n: n, d: d, eps: T(c.normEps), threads: threads)
        // Head and loss; with gradients this also runs the head's backward (fused).
        let dFinal = computeGradients ? Buffer<T>(count: n * d) : nil
        let rows = batch.lossRows
        let denominator = T(max(1, scales.targetsInStep))
        stats.head = CrossEntropyHead.run(
            hidden: finalHidden.pointer, weight: param(layout.head), rows: rows,
            targets: batch.targets, vocab: c.vocabSize, d: d,
            ceScale: 1 / denominator, outputZScale: T(options.outputZLossWeight) / denominator,
            dhidden: dFinal?.pointer, dweight: computeGradients ? grad(layout.head) : nil, threads: threads)
        stats.flops += 2 * Double(rows.count) * Double(d * c.vocabSize)
        if computeGradients { stats.flops *= 3 }  // the backward costs two forwards
        guard let dFinal else { return stats }

        // Backward: final norm, blocks in reverse, embedding.
        let dx = Buffer<T>(count: n * d)
        RMSNorm.backward(
            dx: dx.pointer, dgain: grad(layout.finalNorm), dy: dFinal.pointer, x: x.pointer,
            rstd: finalRstd.pointer, gain: param(layout.finalNorm), n: n, d: d, threads: threads)
        for (l, cache) in zip(layout.layers, caches).reversed() {
            backwardBlock(l, cache: cache, dx: dx, pass: pass)
        }
        Embedding.backward(dtable: grad(layout.embed), dx: dx.pointer, ids: batch.inputs, d: d)
        return stats
    }

    /// One pre-norm block: `mid = x + Attn(RMSNorm(x))`, `next = mid + FFN(RMSNorm(mid))`, where FFN is the
    /// dense SwiGLU or the MoE layer (experts + shared FFN). Returns the cache and `next`.
    func forwardBlock(_ l: LayerOffsets, input x: Buffer<T>, pass: Pass, stats: inout BatchStats) -> (
        BlockCache<T>, Buffer<T>
    ) {
        let c = config, n = pass.n, d = c.dModel, a = c.attnDim, f = c.ffnDim, eps = T(c.normEps)
        let cache = BlockCache<T>(n: n, c: c, input: x)
        RMSNorm.forward(
            y: cache.attnIn.pointer, rstd: cache.attnRstd.pointer, x: x.pointer, gain: param(l.attnNorm),
            n: n, d: d, eps: eps, threads: threads)
        Linear.forward(
            y: cache.qkv.pointer, ldy: 3 * a, x: cache.attnIn.pointer, ldx: d, w: param(l.wqkv),
            n: n, inDim: d, outDim: 3 * a)
        pass.rotary.apply(
            cache.qkv.pointer, positions: pass.batch.positions, heads: c.heads, inverse: false, threads: threads)
        pass.attention.forward(
            out: cache.attnOut.pointer, lse: cache.lse.pointer, qkv: cache.qkv.pointer,
            segments: pass.batch.segments, prefix: pass.prefix, scratch: pass.scratch.pointer)
        cache.mid.pointer.update(from: x.pointer, count: n * d)
        Linear.forward(
            y: cache.mid.pointer, ldy: d, x: cache.attnOut.pointer, ldx: a, w: param(l.wo),
            n: n, inDim: a, outDim: d, accumulate: true)
        RMSNorm.forward(
            y: cache.ffnIn.pointer, rstd: cache.ffnRstd.pointer, x: cache.mid.pointer,
            gain: param(l.ffnNorm), n: n, d: d, eps: eps, threads: threads)
        let next = Buffer<T>(count: n * d)
        next.pointer.update(from: cache.mid.pointer, count: n * d)
        stats.flops += 2 * Double(n) * Double(d) * Double(4 * a)
        for s in pass.batch.segments { stats.flops += 4 * Double(s.count) * Double(s.count + 1) / 2 * Double(a) }
        if l.isMoE {
            let moe = moeLayer.forward(
                y: next.pointer, x: cache.ffnIn.pointer, n: n, w: moeWeights(l, params.pointer),
                training: pass.training)
            cache.moe = moe
            let r = moe.routing
            routingObserver?(stats.auxLoss.count, r)
            stats.auxLoss.append(r.auxLoss)
            stats.routerZLoss.append(r.zLoss)
            stats.expertLoad.append(r.members.map(\.count))
            stats.dropped.append(r.dropped)
            stats.assignments.append(n * c.topK)
            let kept = Double(moe.starts.last ?? 0) + (l.ffn != nil ? Double(n) : 0)
            stats.flops += 2 * kept * Double(3 * d * f) + 2 * Double(n) * Double(d * c.experts)
        } else if let ffn = l.ffn {
            let hidden = Buffer<T>(count: n * 2 * f), act = Buffer<T>(count: n * f)
            SwiGLU.forward(
                y: next.pointer, a: hidden.pointer, u: act.pointer, x: cache.ffnIn.pointer,
                wIn: param(ffn.wIn), wOut: param(ffn.wOut), n: n, d: d, f: f, accumulate: true, threads: threads)
            cache.ffnHidden = hidden
            cache.ffnAct = act
            stats.flops += 2 * Double(n) * Double(3 * d * f)
        }
        return (cache, next)
    }

    /// The block's backward, mirroring `forwardBlock` bottom-up. `dx` holds d(next) on entry and d(x) on
    /// exit: each residual passes the gradient through unchanged, so the branches add into it in place.
    func backwardBlock(_ l: LayerOffsets, cache: BlockCache<T>, dx: Buffer<T>, pass: Pass) {
        let c = config, n = pass.n, d = c.dModel, a = c.attnDim, f = c.ffnDim
        // next = mid + FFN(RMSNorm(mid)).
        let dFfnIn = Buffer<T>(count: n * d)
        if l.isMoE, let moe = cache.moe {
            moeLayer.backward(
                dx: dFfnIn.pointer, dy: dx.pointer, x: cache.ffnIn.pointer, n: n,
                w: moeWeights(l, params.pointer), grads: moeWeights(l, grads.pointer), cache: moe,
                auxScale: pass.auxScale, zScale: pass.zScale)
        } else if let ffn = l.ffn, let hidden = cache.ffnHidden, let act = cache.ffnAct {
            SwiGLU.backward(
                dx: dFfnIn.pointer, dwIn: grad(ffn.wIn), dwOut: grad(ffn.wOut), dy: dx.pointer,
                x: cache.ffnIn.pointer, a: hidden.pointer, u: act.pointer, wIn: param(ffn.wIn),
                wOut: param(ffn.wOut), n: n, d: d, f: f, threads: threads)
        }
        RMSNorm.backward(
            dx: dx.pointer, dgain: grad(l.ffnNorm), dy: dFfnIn.pointer, x: cache.mid.pointer,
            rstd: cache.ffnRstd.pointer, gain: param(l.ffnNorm), n: n, d: d, threads: threads)
        // mid = x + Attn(RMSNorm(x)): output projection, attention, rotary, qkv projection, norm.
        let dAttnOut = Buffer<T>(count: n * a)
        Linear.backward(
            dx: dAttnOut.pointer, lddx: a, dw: grad(l.wo), dy: dx.pointer, lddy: d,
            x: cache.attnOut.pointer, ldx: a, w: param(l.wo), n: n, inDim: a, outDim: d)
        let dqkv = Buffer<T>(count: n * 3 * a)
        pass.attention.backward(
            dqkv: dqkv.pointer, dOut: dAttnOut.pointer, out: cache.attnOut.pointer,
            lse: cache.lse.pointer, qkv: cache.qkv.pointer, segments: pass.batch.segments,
            prefix: pass.prefix, scratchP: pass.scratch.pointer, scratchD: pass.scratch2.pointer)
        pass.rotary.apply(
            dqkv.pointer, positions: pass.batch.positions, heads: c.heads, inverse: true, threads: threads)
        let dAttnIn = Buffer<T>(count: n * d)
        Linear.backward(
            dx: dAttnIn.pointer, lddx: d, dw: grad(l.wqkv), dy: dqkv.pointer, lddy: 3 * a,
            x: cache.attnIn.pointer, ldx: d, w: param(l.wqkv), n: n, inDim: d, outDim: 3 * a)
        RMSNorm.backward(
            dx: dx.pointer, dgain: grad(l.attnNorm), dy: dAttnIn.pointer, x: cache.input.pointer,
            rstd: cache.attnRstd.pointer, gain: param(l.attnNorm), n: n, d: d, threads: threads)
    }

    public func zeroGrad() { grads.zero() }
}
