import Foundation
import Testing

@testable import MoeTrain

/// Two documents packed into one row must train exactly as if each were alone.
@Suite struct PackingInvarianceTests {
    func model(_ options: MoEOptions) throws -> MoEModel<Double> {
        try MoEModel<Double>(config: Fixtures.tinyConfig(), options: options, seed: 5, initStd: 0.4, routerStd: 0.5)
    }

    /// One row [A | B | pad] against two rows [A | pad], [B | pad]: the same tokens reach the model in the
    /// same order, so losses (router ones included, capacity dropping on) and gradients must be equal.
    @Test func oneRowEqualsTwoRows() throws {
        var options = MoEOptions()
        options.capacityFactorTrain = 1.0
        options.minCapacity = 2
        options.outputZLossWeight = 0.1
        options.bidirectionalPrefix = true
        let a = Fixtures.doc(7, seed: 1, vocab: 23), b = Fixtures.doc(6, seed: 2, vocab: 23)
        let packed = try TokenBatch(rows: [Fixtures.row([a, b], length: 16, prefixLengths: [2, 1])], vocabSize: 23)
        let separate = try TokenBatch(
            rows: [
                Fixtures.row([a], length: 16, prefixLengths: [2]),
                Fixtures.row([b], length: 16, prefixLengths: [1]),
            ], vocabSize: 23)
        let m = try model(options)
        let scales = LossScales(targetsInStep: packed.targetCount, microBatchWeight: 1)
        m.zeroGrad()
        let s1 = m.run(packed, scales: scales)
        let g1 = m.grads.array
        m.zeroGrad()
        let s2 = m.run(separate, scales: scales)
        let g2 = m.grads.array
        #expect(s1.dropped.reduce(0, +) > 0)
        // Not bit-equal: one row of 16 and two rows of 16 are different GEMM shapes, and OpenBLAS may
        // block (and so sum) them in a different order depending on the kernel it picked for this CPU.
        // Reordering n <= 32 Double products moves a result by at most about n * 2^-53 relative (~4e-15);
        // 1e-11 leaves margin for that and is still 10^5 below what any real leak changes (>= 1e-6 below).
        let l1 = s1.objective(options: options, scales: scales), l2 = s2.objective(options: options, scales: scales)
        #expect(abs(l1 - l2) <= Fixtures.shapeTolerance * max(abs(l1), 1))
        #expect(g1.count == g2.count)
        #expect(
            Fixtures.worstRelativeDifference(g1, g2) <= Fixtures.shapeTolerance, "gradients differ across batch shapes")
    }

    /// Each document in its own run, summed, equals the packed run: cross-entropy and output z-loss are
    /// sums over targets and the routing is dropless, so attention leaking across the segment boundary,
    /// positions not restarting or the BOS input not being reset would all break the equality.
    @Test func packedEqualsSumOfSeparateRuns() throws {
        var options = MoEOptions()
        options.dropless = true
        options.auxLossWeight = 0  // the balance loss is a product of batch means, not a sum over tokens
        options.routerZLossWeight = 0
        options.outputZLossWeight = 0.1
        let a = Fixtures.doc(8, seed: 3, vocab: 23), b = Fixtures.doc(5, seed: 4, vocab: 23)
        let packed = try TokenBatch(rows: [Fixtures.row([a, b], length: 14)], vocabSize: 23)
        let alone = [
            try TokenBatch(rows: [Fixtures.row([a], length: 14)], vocabSize: 23),
            try TokenBatch(rows: [Fixtures.row([b], length: 14)], vocabSize: 23),
        ]
        let m = try model(options)
        let scales = LossScales(targetsInStep: packed.targetCount, microBatchWeight: 1)
        m.zeroGrad()
        let packedLoss = m.run(packed, scales: scales).objective(options: options, scales: scales)
        let packedGrads = m.grads.array
        m.zeroGrad()
        var sum = 0.0
        for batch in alone { sum += m.run(batch, scales: scales).objective(options: options, scales: scales) }
        let summedGrads = m.grads.array
        #expect(abs(packedLoss - sum) < 1e-12)
        var worst = 0.0
        for i in packedGrads.indices { worst = max(worst, abs(packedGrads[i] - summedGrads[i])) }
        #expect(worst < 1e-12)

        // And the check has teeth: shifting B's positions (as if they did not restart) changes the loss.
        var broken = Fixtures.row([a, b], length: 14)
        for j in 8..<13 { broken.segmentIds[j] = 1; broken.positions[j] = UInt16(j) }
        let merged = try TokenBatch(rows: [broken], vocabSize: 23)
        m.zeroGrad()
        let mergedLoss = m.run(merged, scales: scales).objective(options: options, scales: scales)
        #expect(abs(mergedLoss - packedLoss) > 1e-6)
    }

    @Test func lossMaskZeroRemovesContribution() throws {
        let options = MoEOptions()
        let a = Fixtures.doc(9, seed: 5, vocab: 23)
        var row = Fixtures.row([a], length: 12)
        let m = try model(options)
        let full = try TokenBatch(rows: [row], vocabSize: 23)
        row.lossMask[8] = 0
        let masked = try TokenBatch(rows: [row], vocabSize: 23)
        let s1 = m.run(full, scales: LossScales(targetsInStep: 1, microBatchWeight: 1), computeGradients: false)
        let s2 = m.run(masked, scales: LossScales(targetsInStep: 1, microBatchWeight: 1), computeGradients: false)
        #expect(s1.head.targets == s2.head.targets + 1)
        #expect(s1.head.ceSum > s2.head.ceSum)
        // Routing does not depend on the loss mask.
        #expect(s1.auxLoss == s2.auxLoss)
    }
}

/// Gradient accumulation: two micro-batches of one row give the gradient of one batch of two rows when
/// the losses are sums over tokens (cross-entropy normalised by the step's targets, dropless routing).
@Test func accumulationEqualsOneBigBatch() throws {
    var options = MoEOptions()
    options.dropless = true
    options.auxLossWeight = 0
    options.routerZLossWeight = 0
    let m = try MoEModel<Double>(config: Fixtures.tinyConfig(), options: options, seed: 8, initStd: 0.4, routerStd: 0.5)
    let r1 = Fixtures.row([Fixtures.doc(7, seed: 1, vocab: 23)], length: 10)
    let r2 = Fixtures.row([Fixtures.doc(4, seed: 2, vocab: 23), Fixtures.doc(5, seed: 3, vocab: 23)], length: 10)
    let big = try TokenBatch(rows: [r1, r2], vocabSize: 23)
    let scalesBig = LossScales(targetsInStep: big.targetCount, microBatchWeight: 1)
    m.zeroGrad()
    _ = m.run(big, scales: scalesBig)
    let g1 = m.grads.array
    m.zeroGrad()
    let scalesMicro = LossScales(targetsInStep: big.targetCount, microBatchWeight: 0.5)
    for r in [r1, r2] { _ = m.run(try TokenBatch(rows: [r], vocabSize: 23), scales: scalesMicro) }
    let g2 = m.grads.array
    var worst = 0.0
    for i in g1.indices { worst = max(worst, abs(g1[i] - g2[i])) }
    #expect(worst < 1e-12)
    #expect(g1.contains { $0 != 0 })
}

@Test func safetensorsRoundTrip() throws {
    let dir = try Fixtures.tempDir("st")
    defer { try? FileManager.default.removeItem(at: dir) }
    let a: [Float] = [1, -2.5, 3e-8, .greatestFiniteMagnitude], b: [Float] = [0.25, 7]
    let bytes = a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            SafeTensors.encode([("x.weight", [2, 2], pa), ("y", [2], pb)], metadata: ["step": "7"])
        }
    }
    let url = dir.appendingPathComponent("t.safetensors")
    try Data(bytes).write(to: url)
    let file = try SafeTensors.read(url)
    #expect(try file.floats("x.weight", shape: [2, 2]) == a)
    #expect(try file.floats("y", shape: [2]) == b)
    #expect(file.metadata["step"] == "7")
    #expect(throws: TrainError.self) { try file.floats("y", shape: [3]) }
    // Header length is little-endian and the data starts 8-byte aligned.
    let headerLength = bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
    #expect(headerLength % 8 == 0)
    #expect(bytes.count == 8 + headerLength + 6 * 4)
    try Data(bytes.prefix(20)).write(to: url)
    #expect(throws: TrainError.self) { try SafeTensors.read(url) }
}
