import Foundation
import Testing

@testable import MoeTrain

/// `train --upcycle-from`: at step 0, with gates that sum to 1 and nothing dropped, the experts' combined
/// output is the dense FFN's for every token, and the whole model computes the dense model's loss.
@Suite struct UpcyclingTests {
    static func models(gates: MoEOptions.GateWeights) throws -> (dense: MoEModel<Float>, moe: MoEModel<Float>) {
        let shape = Fixtures.tinyConfig(vocab: 23, layers: 2)
        var options = MoEOptions()
        options.gateWeights = gates
        options.dropless = true
        let dense = try MoEModel<Float>(
            config: Upcycling.denseShape(of: shape), options: options, seed: 5, initStd: 0.5)
        // A wide router init spreads the tokens over several experts.
        let moe = try MoEModel<Float>(config: shape, options: options, seed: 9, initStd: 0.5, routerStd: 1)
        let summary = try Upcycling.copy(from: dense, into: moe)
        #expect(summary.expertCopies == 2 * 4 && summary.routersKept == 1 && summary.sharedOutputsZeroed == 1)
        return (dense, moe)
    }

    /// Layer 1's MoE output and the dense layer 1 FFN's, on 24 random tokens; and the experts they used.
    static func layerOutputs(gates: MoEOptions.GateWeights) throws -> (moe: [Float], dense: [Float], used: Int) {
        let (dense, moe) = try models(gates: gates)
        let n = 24, d = moe.config.dModel, f = moe.config.ffnDim
        let x = Fixtures.randoms(n * d, seed: 3).map { Float($0) }
        var yMoE = [Float](repeating: 0, count: n * d), yDense = [Float](repeating: 0, count: n * d)
        var a = [Float](repeating: 0, count: n * 2 * f), u = [Float](repeating: 0, count: n * f)
        let layer = moe.layout.layers[1], denseFFN = try #require(dense.layout.layers[1].ffn)
        #expect(layer.isMoE && !dense.layout.layers[1].isMoE)
        let cache = x.withUnsafeBufferPointer { xp in
            yMoE.withUnsafeMutableBufferPointer { yp in
                moe.moeLayer.forward(
                    y: yp.baseAddress!, x: xp.baseAddress!, n: n, w: moe.moeWeights(layer, moe.params.pointer),
                    training: false)
            }
        }
        x.withUnsafeBufferPointer { xp in
            SwiGLU.forward(
                y: &yDense, a: &a, u: &u, x: xp.baseAddress!, wIn: dense.params.pointer + denseFFN.wIn,
                wOut: dense.params.pointer + denseFFN.wOut, n: n, d: d, f: f, accumulate: false)
        }
        #expect(cache.routing.slot.allSatisfy { $0 >= 0 }, "dropless: nothing dropped")
        return (yMoE, yDense, Set(cache.routing.choice).count)
    }

    @Test func expertsCombinedEqualTheDenseFFNForEveryToken() throws {
        let (yMoE, yDense, used) = try Self.layerOutputs(gates: .renormalized)
        #expect(used >= 3, "the router spread the tokens over \(used) experts")
        let scale = yDense.map(abs).max() ?? 0
        #expect(scale > 0.1)
        let worst = zip(yMoE, yDense).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-5 * scale, "max difference \(worst) (output scale \(scale))")
    }

    /// With OpenMoE's raw gates the two chosen probabilities sum to less than 1, so the output is only a
    /// fraction of the dense one: the equality above depends on the renormalization.
    @Test func rawGatesDoNotReproduceIt() throws {
        let (yMoE, yDense, _) = try Self.layerOutputs(gates: .raw)
        let scale = yDense.map(abs).max() ?? 0
        #expect((zip(yMoE, yDense).map { abs($0 - $1) }.max() ?? 0) > 0.05 * scale)
    }

    /// The whole upcycled model gives the dense model's cross-entropy on packed rows.
    @Test func upcycledModelHasTheDenseLoss() throws {
        let (dense, moe) = try Self.models(gates: .renormalized)
        let rows = (0..<2).map { i in
            Fixtures.row(
                [Fixtures.doc(11, seed: UInt64(i), vocab: 23), Fixtures.doc(7, seed: UInt64(9 + i), vocab: 23)],
                length: 20)
        }
        let batch = try TokenBatch(rows: rows, vocabSize: 23)
        let scales = LossScales(targetsInStep: batch.targetCount, microBatchWeight: 1)
        let a = dense.run(batch, scales: scales, training: false, computeGradients: false)
        let b = moe.run(batch, scales: scales, training: false, computeGradients: false)
        #expect(a.head.ceSum > 1)
        #expect(abs(a.head.ceSum - b.head.ceSum) < 1e-4 * a.head.ceSum, "\(a.head.ceSum) vs \(b.head.ceSum)")
        #expect(b.dropped.allSatisfy { $0 == 0 })
    }

    @Test func refusesAnotherShapeOrAMoEModel() throws {
        let shape = Fixtures.tinyConfig(vocab: 23, layers: 2)
        var wider = Upcycling.denseShape(of: shape)
        wider.ffnDim += 2
        let moe = try MoEModel<Float>(config: shape, options: MoEOptions(), seed: 1)
        let other = try MoEModel<Float>(config: wider, options: MoEOptions(), seed: 1)
        #expect(throws: TrainError.self) { try Upcycling.copy(from: other, into: moe) }
        let notDense = try MoEModel<Float>(config: shape, options: MoEOptions(), seed: 2)
        #expect(throws: TrainError.self) { try Upcycling.copy(from: notDense, into: moe) }
    }
}
