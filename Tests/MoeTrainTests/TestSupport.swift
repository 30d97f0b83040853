import Foundation
@testable import MoeTrain

/// Small deterministic fixtures shared by the trainer tests.
enum Fixtures {
    /// A Double-sized model small enough for per-entry finite differences: layer 1 is MoE.
    static func tinyConfig(vocab: Int = 23, layers: Int = 2, shared: Bool = true) -> ModelConfig {
        ModelConfig(name: "test", vocabSize: vocab, dModel: 8, layers: layers, heads: 2, headDim: 4, ffnDim: 6,
                    experts: 4, topK: 2, moeEvery: 2, sharedExpert: shared)
    }

    static func randoms(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var rng = SplitMix(seed: seed, key: "fixture")
        return (0..<count).map { _ in rng.normal() * scale }
    }

    /// A packed row of length `length` holding the given documents (token lists) one after another as
    /// causal-LM segments, padded with zeros; `prefixLengths[i]` marks document i's first tokens as prefix
    /// (no loss there).
    static func row(_ docs: [[UInt32]], length: Int, prefixLengths: [Int] = [], origin: String = "test row") -> PackedRow {
        var tokens: [UInt32] = [], mask: [UInt8] = [], seg: [UInt16] = [], pos: [UInt16] = [], prefix: [UInt8] = []
        for (i, doc) in docs.enumerated() {
            let p = i < prefixLengths.count ? prefixLengths[i] : 0
            for (j, t) in doc.enumerated() {
                tokens.append(t)
                mask.append(j < p ? 0 : 1)
                seg.append(UInt16(i + 1))
                pos.append(UInt16(j))
                prefix.append(j < p ? 1 : 0)
            }
        }
        while tokens.count < length {
            tokens.append(0); mask.append(0); seg.append(0); pos.append(0); prefix.append(0)
        }
        return PackedRow(tokens: tokens, lossMask: mask, segmentIds: seg, positions: pos, prefix: prefix, origin: origin)
    }

    static func doc(_ n: Int, seed: UInt64, vocab: Int) -> [UInt32] {
        var rng = SplitMix(seed: seed, key: "doc")
        return (0..<n).map { _ in UInt32(2 + Int(rng.next() % UInt64(vocab - 2))) }
    }

    static func tempDir(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("moetrain-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Central-difference check of selected entries of a parameter vector.
/// Returns the worst relative error max|a − n| / max(|a|, |n|, floor).
func finiteDifferenceError(_ values: UnsafeMutablePointer<Double>, indices: [Int], analytic: (Int) -> Double,
                           eps: Double = 1e-6, floor: Double = 1e-7, loss: () -> Double) -> Double {
    var worst = 0.0
    for i in indices {
        let saved = values[i]
        values[i] = saved + eps
        let plus = loss()
        values[i] = saved - eps
        let minus = loss()
        values[i] = saved
        let numeric = (plus - minus) / (2 * eps)
        let a = analytic(i)
        worst = max(worst, abs(a - numeric) / max(abs(a), abs(numeric), floor))
    }
    return worst
}
