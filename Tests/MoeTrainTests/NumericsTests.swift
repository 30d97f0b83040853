import Foundation
import Testing

@testable import MoeTrain

@Suite struct NumericsTests {
    @Test func fastExpMatchesLibm() {
        var worst: Float = 0
        var x = [Float](repeating: 0, count: 2003)
        for i in x.indices { x[i] = -80 + Float(i) * 0.08 }
        var y = x
        let sum = y.withUnsafeMutableBufferPointer { FastExp.expShiftedSum($0.baseAddress!, count: $0.count, shift: 3) }
        var reference: Double = 0
        for i in x.indices {
            let e = expf(x[i] - 3)
            reference += Double(e)
            worst = max(worst, abs(y[i] - e) / e)
        }
        #expect(worst < 1e-6)
        #expect(abs(Double(sum) - reference) / reference < 1e-5)
    }

    @Test func sgemmAndDgemmAgreeWithNaiveProduct() {
        let m = 5, n = 4, k = 3
        let a = Fixtures.randoms(m * k, seed: 1), b = Fixtures.randoms(n * k, seed: 2)
        var c = [Double](repeating: 1, count: m * n)
        Double.gemm(
            transA: false, transB: true, m: m, n: n, k: k, alpha: 2, a: a, lda: k, b: b, ldb: k, beta: 1, c: &c, ldc: n)
        var cf = [Float](repeating: 1, count: m * n)
        Float.gemm(
            transA: false, transB: true, m: m, n: n, k: k, alpha: 2, a: a.map(Float.init), lda: k, b: b.map(Float.init),
            ldb: k, beta: 1, c: &cf, ldc: n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += a[i * k + p] * b[j * k + p] }
                #expect(abs(c[i * n + j] - (1 + 2 * s)) < 1e-12)
                #expect(abs(Double(cf[i * n + j]) - (1 + 2 * s)) < 1e-4)
            }
        }
    }

    @Test func schedules() {
        let rsqrt = LRSchedule(kind: .rsqrt, peak: 0.01, warmup: 100, totalSteps: 1000)
        #expect(abs(rsqrt.rate(step: 49) - 0.005) < 1e-12)  // linear ramp
        #expect(abs(rsqrt.rate(step: 99) - 0.01) < 1e-12)  // peak at the end of warm-up
        #expect(abs(rsqrt.rate(step: 399) - 0.005) < 1e-12)  // 0.01·√(100/400)
        let cosine = LRSchedule(kind: .cosine, peak: 0.01, warmup: 10, totalSteps: 110, minRatio: 0.1)
        #expect(abs(cosine.rate(step: 59) - 0.0055) < 1e-12)  // halfway: (0.1 + 0.9·0.5)·peak
        #expect(abs(cosine.rate(step: 109) - 0.001) < 1e-12)  // floor at the last step
    }

    @Test func parameterCountsOfOpenMoEShapes() {
        // Independent arithmetic: embeddings V·d twice, per layer 4·d·A attention + norms, SwiGLU 3·d·f per FFN.
        func expected(_ c: ModelConfig) -> (total: Int, active: Int) {
            let d = c.dModel, f = c.ffnDim, ffn = 3 * d * f
            var total = 2 * c.vocabSize * d + d, active = total
            for i in 0..<c.layers {
                let common = 4 * d * c.attnDim + 2 * d
                if c.isMoE(layer: i) {
                    total += common + c.experts * d + (c.experts + 1) * ffn
                    active += common + c.experts * d + (c.topK + 1) * ffn
                } else {
                    total += common + ffn
                    active += common + ffn
                }
            }
            return (total, active)
        }
        for c in [ModelConfig.openMoEBase, .openMoE8B, .openMoE34B] {
            let layout = ParameterLayout(c)
            let e = expected(c)
            #expect(layout.total == e.total, "\(c.name)")
            #expect(layout.activated == e.active, "\(c.name)")
        }
        #expect(ModelConfig.openMoEBase.moeLayerCount == 3)
        #expect((0..<12).filter(ModelConfig.openMoEBase.isMoE) == [3, 7, 11])
        #expect(ModelConfig.openMoE8B.moeLayerCount == 4)
        #expect(ModelConfig.openMoE34B.moeLayerCount == 8)
    }
}
