/// Activations of one MoE layer kept for its backward.
public final class MoECache<T: TrainScalar> {
    public let routing: Routing<T>
    /// First row of each expert in the gathered buffers (E + 1 entries).
    let starts: [Int]
    let gathered: Buffer<T>  // [M, d] the tokens each expert processes
    let hidden: Buffer<T>  // [M, 2f]
    let act: Buffer<T>  // [M, f]
    let expertOut: Buffer<T>  // [M, d] each expert's output, before the gate weight
    let sharedHidden: Buffer<T>?
    let sharedAct: Buffer<T>?

    init(routing: Routing<T>, starts: [Int], d: Int, f: Int, n: Int, shared: Bool) {
        self.routing = routing
        self.starts = starts
        let m = starts.last ?? 0
        gathered = Buffer(count: m * d)
        hidden = Buffer(count: m * 2 * f)
        act = Buffer(count: m * f)
        expertOut = Buffer(count: m * d)
        sharedHidden = shared ? Buffer(count: n * 2 * f) : nil
        sharedAct = shared ? Buffer(count: n * f) : nil
    }
}

/// The MoE feed-forward: `y = Σ_{chosen e} w_e · Expert_e(x) + Shared(x)`.
/// Each expert is a SwiGLU FFN run as BLAS products over the rows gathered for it (no padding to
/// capacity); outputs are scattered back weighted by the gates.
///
/// On `threads`: the gathering per expert, and the weighted sum back per block of tokens, each
/// token adding its experts' outputs in expert order, so the bits do not depend on the thread count.
public struct MoELayer<T: TrainScalar> {
    public let d: Int
    public let f: Int
    public let experts: Int
    public let topK: Int
    public let options: MoEOptions
    public var threads: TrainThreads = .single
    static var tokenBlock: Int { 64 }

    /// Parameter pointers of one layer.
    public struct Weights {
        public let router: UnsafeMutablePointer<T>
        public let expertIn: [UnsafeMutablePointer<T>]
        public let expertOut: [UnsafeMutablePointer<T>]
        public let sharedIn: UnsafeMutablePointer<T>?
        public let sharedOut: UnsafeMutablePointer<T>?
    }

    /// `y += MoE(x)` for `x` ([n, d]).
    @_specialize(where T == Float)
    public func forward(y: UnsafeMutablePointer<T>, x: UnsafePointer<T>, n: Int, w: Weights, training: Bool)
        -> MoECache<T>
    {
        let routing = Router.forward(
            x: x, wr: w.router, n: n, d: d, experts: experts, topK: topK,
            options: options, training: training, threads: threads)
        var starts = [0]
        for e in 0..<experts { starts.append(starts[e] + routing.members[e].count) }
        let cache = MoECache<T>(routing: routing, starts: starts, d: d, f: f, n: n, shared: w.sharedIn != nil)
        let d = d, topK = topK
        threads.parallelFor(experts) { e, _ in
            let base = starts[e]
            for (j, assignment) in routing.members[e].enumerated() {
                (cache.gathered.pointer + (base + j) * d).update(from: x + Int(assignment) / topK * d, count: d)
            }
        }
        for e in 0..<experts where !routing.members[e].isEmpty {
            let base = starts[e]
            SwiGLU.forward(
                y: cache.expertOut.pointer + base * d, a: cache.hidden.pointer + base * 2 * f,
                u: cache.act.pointer + base * f, x: cache.gathered.pointer + base * d,
                wIn: w.expertIn[e], wOut: w.expertOut[e], n: routing.members[e].count, d: d, f: f,
                accumulate: false, threads: threads)
        }
        combine(into: y, rows: cache.expertOut.pointer, routing: routing, starts: starts, n: n, weighted: true)
        if let sharedIn = w.sharedIn, let sharedOut = w.sharedOut, let a = cache.sharedHidden, let u = cache.sharedAct {
            SwiGLU.forward(
                y: y, a: a.pointer, u: u.pointer, x: x, wIn: sharedIn, wOut: sharedOut, n: n, d: d, f: f,
                accumulate: true, threads: threads)
        }
        return cache
    }

    /// Gradient pointers mirror `Weights`.
    @_specialize(where T == Float)
    public func backward(
        dx: UnsafeMutablePointer<T>, dy: UnsafePointer<T>, x: UnsafePointer<T>, n: Int,
        w: Weights, grads: Weights, cache: MoECache<T>, auxScale: T, zScale: T
    ) {
        if let sharedIn = w.sharedIn, let sharedOut = w.sharedOut, let a = cache.sharedHidden, let u = cache.sharedAct,
            let gIn = grads.sharedIn, let gOut = grads.sharedOut
        {
            SwiGLU.backward(
                dx: dx, dwIn: gIn, dwOut: gOut, dy: dy, x: x, a: a.pointer, u: u.pointer,
                wIn: sharedIn, wOut: sharedOut, n: n, d: d, f: f, threads: threads)
        }
        let routing = cache.routing
        var gateGrad = [T](repeating: 0, count: n * topK)
        let m = cache.starts.last ?? 0
        let dOut = Buffer<T>(count: m * d), dIn = Buffer<T>(count: m * d)
        let d = d, topK = topK
        // d(expert output) = gate · dy; d(gate) = ⟨dy, expert output⟩ (one assignment each).
        gateGrad.withUnsafeMutableBufferPointer { gateGrad in
            threads.parallelFor(experts) { e, _ in
                let base = cache.starts[e]
                for (j, assignment) in routing.members[e].enumerated() {
                    let a = Int(assignment), g = routing.gate[a], up = dy + a / topK * d
                    let out = cache.expertOut.pointer + (base + j) * d, dst = dOut.pointer + (base + j) * d
                    var dot: T = 0
                    for c in 0..<d { dst[c] = g * up[c]; dot += up[c] * out[c] }
                    gateGrad[a] = dot
                }
            }
        }
        for e in 0..<experts where !routing.members[e].isEmpty {
            let base = cache.starts[e]
            SwiGLU.backward(
                dx: dIn.pointer + base * d, dwIn: grads.expertIn[e], dwOut: grads.expertOut[e],
                dy: dOut.pointer + base * d, x: cache.gathered.pointer + base * d,
                a: cache.hidden.pointer + base * 2 * f, u: cache.act.pointer + base * f,
                wIn: w.expertIn[e], wOut: w.expertOut[e], n: routing.members[e].count, d: d, f: f, threads: threads)
        }
        combine(into: dx, rows: dIn.pointer, routing: routing, starts: cache.starts, n: n, weighted: false)
        Router.backward(
            dx: dx, dwr: grads.router, x: x, wr: w.router, routing: routing, gateGrad: gateGrad,
            options: options, auxScale: auxScale, zScale: zScale, d: d, threads: threads)
    }

    /// `out[t] += Σ (gate ·) rows[slot]` over token t's kept assignments, in expert order (the order
    /// a loop over the experts adds them in), per block of tokens.
    private func combine(
        into out: UnsafeMutablePointer<T>, rows: UnsafePointer<T>, routing: Routing<T>, starts: [Int], n: Int,
        weighted: Bool
    ) {
        let d = d, topK = topK
        threads.forEachBlock(n, blockSize: Self.tokenBlock) { tokens, _ in
            var kept: [(expert: Int, row: Int, gate: T)] = []
            kept.reserveCapacity(topK)
            for t in tokens {
                kept.removeAll(keepingCapacity: true)
                for k in 0..<topK {
                    let a = t * topK + k, slot = Int(routing.slot[a])
                    guard slot >= 0 else { continue }
                    let e = Int(routing.choice[a])
                    kept.append((e, starts[e] + slot, routing.gate[a]))
                }
                kept.sort { $0.expert < $1.expert }
                let dst = out + t * d
                for (_, row, gate) in kept {
                    let src = rows + row * d
                    if weighted {
                        for c in 0..<d { dst[c] += gate * src[c] }
                    } else {
                        for c in 0..<d { dst[c] += src[c] }
                    }
                }
            }
        }
    }
}
