import Foundation

/// Rotary position embedding on the query and key parts of a packed [n, 3·A] qkv buffer.
/// Pairs follow HF's `rotate_half` convention: element i of a head rotates with element i + h/2, by
/// angle `pos · base^(−2i/h)`. Positions restart at 0 in every packed segment.
public struct Rotary<T: TrainScalar> {
    public let headDim: Int
    public let maxPosition: Int
    private let cosTable: [T]
    private let sinTable: [T]

    /// Tables for positions 0..<maxPosition.
    @_specialize(where T == Float)
    public init(headDim: Int, maxPosition: Int, base: Double) {
        self.headDim = headDim
        self.maxPosition = maxPosition
        let half = headDim / 2
        var c = [T](repeating: 0, count: max(1, maxPosition) * half), s = c
        for p in 0..<maxPosition {
            for i in 0..<half {
                let angle = Double(p) * pow(base, -2 * Double(i) / Double(headDim))
                c[p * half + i] = T(Foundation.cos(angle))
                s[p * half + i] = T(Foundation.sin(angle))
            }
        }
        cosTable = c
        sinTable = s
    }

    /// Rotates q and k of every head in place; `inverse` applies the transposed rotation (the backward).
    /// Rows run on `threads` in blocks (each row its own).
    @_specialize(where T == Float)
    public func apply(
        _ qkv: UnsafeMutablePointer<T>, positions: [Int32], heads: Int, inverse: Bool,
        threads: TrainThreads = .single
    ) {
        let half = headDim / 2, a = heads * headDim, ld = 3 * a
        cosTable.withUnsafeBufferPointer { cs in
            sinTable.withUnsafeBufferPointer { sn in
                positions.withUnsafeBufferPointer { positions in
                    guard let cs = cs.baseAddress, let sn = sn.baseAddress else { return }
                    threads.forEachBlock(positions.count, blockSize: 64) { rows, _ in
                        for t in rows {
                            let pos = Int(positions[t])
                            let cp = cs + pos * half, sp = sn + pos * half
                            for part in 0..<2 {  // 0 = query, 1 = key
                                for h in 0..<heads {
                                    let v = qkv + t * ld + part * a + h * headDim
                                    for i in 0..<half {
                                        let x0 = v[i], x1 = v[i + half]
                                        let c = cp[i], s = inverse ? -sp[i] : sp[i]
                                        v[i] = x0 * c - x1 * s
                                        v[i + half] = x0 * s + x1 * c
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
