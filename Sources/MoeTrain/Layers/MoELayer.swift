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
public struct MoELayer<T: TrainScalar> {
    public let d: Int
    public let f: Int
    public let experts: Int
    public let topK: Int
    public let options: MoEOptions

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
            options: options, training: training)
        var starts = [0]
        for e in 0..<experts { starts.append(starts[e] + routing.members[e].count) }
        let cache = MoECache<T>(routing: routing, starts: starts, d: d, f: f, n: n, shared: w.sharedIn != nil)
        for e in 0..<experts {
            let rows = routing.members[e], base = starts[e]
            if rows.isEmpty { continue }
            for (j, assignment) in rows.enumerated() {
                (cache.gathered.pointer + (base + j) * d).update(from: x + Int(assignment) / topK * d, count: d)
            }
            SwiGLU.forward(
                y: cache.expertOut.pointer + base * d, a: cache.hidden.pointer + base * 2 * f,
                u: cache.act.pointer + base * f, x: cache.gathered.pointer + base * d,
                wIn: w.expertIn[e], wOut: w.expertOut[e], n: rows.count, d: d, f: f, accumulate: false)
            for (j, assignment) in rows.enumerated() {
                let g = routing.gate[Int(assignment)], out = y + Int(assignment) / topK * d
                let src = cache.expertOut.pointer + (base + j) * d
                for c in 0..<d { out[c] += g * src[c] }
            }
        }
        if let sharedIn = w.sharedIn, let sharedOut = w.sharedOut, let a = cache.sharedHidden, let u = cache.sharedAct {
            SwiGLU.forward(
                y: y, a: a.pointer, u: u.pointer, x: x, wIn: sharedIn, wOut: sharedOut, n: n, d: d, f: f,
                accumulate: true)
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
                wIn: sharedIn, wOut: sharedOut, n: n, d: d, f: f)
        }
        let routing = cache.routing
        var gateGrad = [T](repeating: 0, count: n * topK)
        let m = cache.starts.last ?? 0
        let dOut = Buffer<T>(count: m * d), dIn = Buffer<T>(count: m * d)
        for e in 0..<experts {
            let rows = routing.members[e], base = cache.starts[e]
            if rows.isEmpty { continue }
            // d(expert output) = gate · dy; d(gate) = ⟨dy, expert output⟩.
            for (j, assignment) in rows.enumerated() {
                let a = Int(assignment), g = routing.gate[a], up = dy + a / topK * d
                let out = cache.expertOut.pointer + (base + j) * d, dst = dOut.pointer + (base + j) * d
                var dot: T = 0
                for c in 0..<d { dst[c] = g * up[c]; dot += up[c] * out[c] }
                gateGrad[a] = dot
            }
            SwiGLU.backward(
                dx: dIn.pointer + base * d, dwIn: grads.expertIn[e], dwOut: grads.expertOut[e],
                dy: dOut.pointer + base * d, x: cache.gathered.pointer + base * d,
                a: cache.hidden.pointer + base * 2 * f, u: cache.act.pointer + base * f,
                wIn: w.expertIn[e], wOut: w.expertOut[e], n: rows.count, d: d, f: f)
            for (j, assignment) in rows.enumerated() {
                let dst = dx + Int(assignment) / topK * d, src = dIn.pointer + (base + j) * d
                for c in 0..<d { dst[c] += src[c] }
            }
        }
        Router.backward(
            dx: dx, dwr: grads.router, x: x, wr: w.router, routing: routing, gateGrad: gateGrad,
            options: options, auxScale: auxScale, zScale: zScale, d: d)
    }
}
