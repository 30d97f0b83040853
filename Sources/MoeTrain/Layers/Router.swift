/// What the router decided for one MoE layer and one micro-batch, kept for the backward and the logs.
public final class Routing<T: TrainScalar> {
    public let tokens: Int
    public let experts: Int
    public let topK: Int
    /// Softmax of the router logits, [n, E].
    public let probs: Buffer<T>
    /// log-sum-exp of each token's router logits (the router z-loss squares it).
    public let lse: Buffer<T>
    /// Assignment `t·k + r` is token t's r-th choice (r = 0 is its top-1).
    public var choice: [Int32]
    public var gate: [T]
    /// Row of the assignment in its expert's gathered buffer, or −1 when over capacity (dropped).
    public var slot: [Int32]
    /// Per expert, the assignments it processes, in slot order.
    public var members: [[Int32]]
    public var groups: [Range<Int>] = []
    /// Per group, the share of its tokens whose top-k contains each expert (Switch's f_i).
    public var fractions: [[T]] = []
    /// Load-balancing loss E·Σ f_i·P_i averaged over groups, and router z-loss mean(lse²).
    public var auxLoss: Double = 0
    public var zLoss: Double = 0
    public var dropped = 0

    init(tokens: Int, experts: Int, topK: Int) {
        self.tokens = tokens
        self.experts = experts
        self.topK = topK
        probs = Buffer(count: tokens * experts)
        lse = Buffer(count: tokens)
        choice = [Int32](repeating: 0, count: tokens * topK)
        gate = [T](repeating: 0, count: tokens * topK)
        slot = [Int32](repeating: -1, count: tokens * topK)
        members = Array(repeating: [], count: experts)
    }
}

/// Top-k softmax router with capacity-limited dispatch, its balance and z losses, and its backward.
///
/// Dispatch order is OpenMoE's (flaxformer `TokensChooseMaskedRouter`): within a group, every token's
/// top-1 choice queues before any top-2 choice, and earlier tokens before later ones; an assignment
/// past the expert's capacity is dropped (the token keeps its residual and the shared FFN).
public enum Router {
    @_specialize(where T == Float)
    public static func forward<T: TrainScalar>(
        x: UnsafePointer<T>, wr: UnsafePointer<T>, n: Int, d: Int,
        experts: Int, topK: Int, options: MoEOptions,
        training: Bool, threads: TrainThreads = .single
    ) -> Routing<T> {
        let r = Routing<T>(tokens: n, experts: experts, topK: topK)
        let p = r.probs.pointer
        Linear.forward(y: p, ldy: experts, x: x, ldx: d, w: wr, n: n, inDim: d, outDim: experts)
        // Softmax and top-k per token, on `threads` in blocks; the z-loss summed per block, then in
        // block order.
        let blockSize = 64
        var zSums = [Double](repeating: 0, count: TrainThreads.blocks(n, blockSize: blockSize))
        let renormalize = options.gateWeights == .renormalized
        zSums.withUnsafeMutableBufferPointer { zSums in
            r.choice.withUnsafeMutableBufferPointer { choice in
                r.gate.withUnsafeMutableBufferPointer { gate in
                    threads.forEachBlock(n, blockSize: blockSize) { tokens, block in
                        for t in tokens {
                            let row = p + t * experts
                            var m = row[0]
                            for e in 1..<experts { m = max(m, row[e]) }
                            let sum = T.expShiftedSum(row, count: experts, shift: m)
                            for e in 0..<experts { row[e] /= sum }
                            let l = m + T.log(sum)
                            r.lse[t] = l
                            zSums[block] += Double(l) * Double(l)
                            // Top-k by repeated argmax; ties go to the lower expert index.
                            var chosenSum: T = 0
                            for k in 0..<topK {
                                var best = -1
                                for e in 0..<experts where !(0..<k).contains(where: { choice[t * topK + $0] == e }) {
                                    if best < 0 || row[e] > row[best] { best = e }
                                }
                                choice[t * topK + k] = Int32(best)
                                gate[t * topK + k] = row[best]
                                chosenSum += row[best]
                            }
                            if renormalize {
                                for k in 0..<topK { gate[t * topK + k] /= chosenSum }
                            }
                        }
                    }
                }
            }
        }
        let zSum = zSums.reduce(0, +)
        r.zLoss = n > 0 ? zSum / Double(n) : 0

        let groupSize = options.groupSize > 0 ? options.groupSize : max(n, 1)
        r.groups = stride(from: 0, to: n, by: groupSize).map { $0..<min(n, $0 + groupSize) }
        var auxSum = 0.0
        for g in r.groups {
            let capacity =
                options.dropless
                ? Int.max
                : options.capacity(tokens: g.count, experts: experts, training: training)
            var counts = [Int](repeating: 0, count: experts)
            for k in 0..<topK {
                for t in g {
                    let a = t * topK + k, e = Int(r.choice[a])
                    if counts[e] < capacity {
                        r.slot[a] = Int32(r.members[e].count)
                        r.members[e].append(Int32(a))
                        counts[e] += 1
                    } else {
                        r.dropped += 1
                    }
                }
            }
            // f counts any top-k hit before dropping (Switch/flaxformer); P is the mean probability.
            var f = [T](repeating: 0, count: experts), meanP = [Double](repeating: 0, count: experts)
            for t in g {
                for k in 0..<topK { f[Int(r.choice[t * topK + k])] += 1 }
                for e in 0..<experts { meanP[e] += Double(p[t * experts + e]) }
            }
            var aux = 0.0
            for e in 0..<experts {
                f[e] /= T(g.count)
                aux += Double(f[e]) * meanP[e] / Double(g.count)
            }
            r.fractions.append(f)
            auxSum += Double(experts) * aux
        }
        r.auxLoss = r.groups.isEmpty ? 0 : auxSum / Double(r.groups.count)
        return r
    }

    /// `dx += …`, `dwr += …` from the gradient of the loss with respect to each assignment's gate weight
    /// (`gateGrad`, zero for dropped ones) plus the two router losses scaled by `auxScale` and `zScale`.
    ///
    /// The gate gradient becomes a gradient on the probabilities (raw: on the chosen ones; renormalized
    /// w_j = p_j/s: `(g_j − Σ w·g)/s`), the balance loss adds `auxScale·E·f_i/(T·groups)` to every p_i
    /// (f is a count, constant), the softmax backward gives `dz = p ⊙ (dp − ⟨p, dp⟩)`, and the z-loss
    /// adds `zScale·2·lse·p/n` to dz directly.
    @_specialize(where T == Float)
    public static func backward<T: TrainScalar>(
        dx: UnsafeMutablePointer<T>, dwr: UnsafeMutablePointer<T>,
        x: UnsafePointer<T>, wr: UnsafePointer<T>, routing r: Routing<T>,
        gateGrad: [T], options: MoEOptions, auxScale: T, zScale: T, d: Int, threads: TrainThreads = .single
    ) {
        let n = r.tokens, experts = r.experts, topK = r.topK
        let dz = Buffer<T>(count: n * experts)
        let groupWeight = auxScale * T(experts) / T(max(1, r.groups.count))
        // Per token (its own row of dz), on `threads` in blocks.
        let groupSize = r.groups.first?.count ?? 1
        threads.forEachBlock(n, blockSize: 64) { tokens, _ in
            var dp = [T](repeating: 0, count: experts)
            for t in tokens {
                let gi = min(t / groupSize, r.groups.count - 1), g = r.groups[gi], f = r.fractions[gi]
                let p = r.probs.pointer + t * experts
                for e in 0..<experts { dp[e] = groupWeight * f[e] / T(g.count) }
                if options.gateWeights == .raw {
                    for k in 0..<topK { dp[Int(r.choice[t * topK + k])] += gateGrad[t * topK + k] }
                } else {
                    var s: T = 0, weighted: T = 0
                    for k in 0..<topK {
                        s += p[Int(r.choice[t * topK + k])]
                        weighted += r.gate[t * topK + k] * gateGrad[t * topK + k]
                    }
                    for k in 0..<topK { dp[Int(r.choice[t * topK + k])] += (gateGrad[t * topK + k] - weighted) / s }
                }
                var dot: T = 0
                for e in 0..<experts { dot += p[e] * dp[e] }
                let zCoeff = zScale * 2 * r.lse[t] / T(n)
                let dzr = dz.pointer + t * experts
                for e in 0..<experts { dzr[e] = p[e] * (dp[e] - dot) + zCoeff * p[e] }
            }
        }
        Linear.backward(
            dx: dx, lddx: d, dw: dwr, dy: dz.pointer, lddy: experts, x: x, ldx: d, w: wr,
            n: n, inDim: d, outDim: experts)
    }
}
