import Foundation
import JSON
import MDS
import MoeTestSupport
import PackedFormat

@testable import MoeTrain

/// Small deterministic fixtures shared by the trainer tests.
enum Fixtures {
    /// A Double-sized model small enough for per-entry finite differences: layer 1 is MoE.
    static func tinyConfig(vocab: Int = 23, layers: Int = 2, shared: Bool = true) -> ModelConfig {
        ModelConfig(
            name: "test", vocabSize: vocab, dModel: 8, layers: layers, heads: 2, headDim: 4, ffnDim: 6,
            experts: 4, topK: 2, moeEvery: 2, sharedExpert: shared)
    }

    static func randoms(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var rng = KeyedRandom(seed: seed, name: "fixture")
        return (0..<count).map { _ in rng.normal() * scale }
    }

    /// A packed row of length `length` holding the given documents (token lists) one after another as
    /// causal-LM segments, padded with zeros; `prefixLengths[i]` marks document i's first tokens as prefix
    /// (no loss there).
    static func row(_ docs: [[UInt32]], length: Int, prefixLengths: [Int] = [], origin: String = "test row")
        -> PackedRow
    {
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
        return PackedRow(
            tokens: tokens, lossMask: mask, segmentIds: seg, positions: pos, prefix: prefix, origin: origin)
    }

    static func doc(_ n: Int, seed: UInt64, vocab: Int) -> [UInt32] {
        var rng = KeyedRandom(seed: seed, name: "doc")
        return (0..<n).map { _ in UInt32(2 + Int(rng.next() % UInt64(vocab - 2))) }
    }

    /// Relative tolerance for Double results computed with different GEMM shapes (see
    /// PackingInvarianceTests.oneRowEqualsTwoRows for why they are not compared bit for bit).
    static let shapeTolerance = 1e-11

    /// max |a - b| over paired entries, relative to the largest |a| (at least 1): an entry near zero
    /// is the sum of much larger terms, so its rounding error scales with the vector, not with itself.
    /// Infinite when the counts differ.
    static func worstRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count else { return .infinity }
        let scale = max(a.map(abs).max() ?? 0, 1)
        var worst = 0.0
        for i in a.indices { worst = max(worst, abs(a[i] - b[i])) }
        return worst / scale
    }

    static func tempDir(_ name: String) throws -> URL { try TempFolder.make("moetrain-\(name)") }

    /// Runs `body` with OpenBLAS set to `threads` under the global-state lock, then restores the count.
    static func withBLASThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        try GlobalState.withLock {
            let before = BLASThreads.current
            BLASThreads.set(threads)
            defer { BLASThreads.set(before) }
            return try body()
        }
    }
}

/// Central-difference check of selected entries of a parameter vector.
/// Returns the worst relative error max|a − n| / max(|a|, |n|, floor).
func finiteDifferenceError(
    _ values: UnsafeMutablePointer<Double>, indices: [Int], analytic: (Int) -> Double,
    eps: Double = 1e-6, floor: Double = 1e-7, loss: () -> Double
) -> Double {
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

extension Fixtures {
    /// Writes `rows` as a packed MDS dataset (the `moe-data build` layout) plus its `moe-data.json`.
    static func writePacked(
        _ dir: URL, rows: [PackedRow], vocabSize: Int, paddedVocabSize: Int? = nil,
        sizeLimit: Int = 1 << 26
    ) throws {
        let length = rows.first?.tokens.count ?? 1
        let columns = PackedColumn.columns(rowLength: length)
        let writer = try MDSWriter(directory: dir, columns: columns, sizeLimit: sizeLimit)
        for row in rows { try writer.write(row.values(phase: 0)) }
        try writer.finish()
        let metadata = PackedMetadata(
            vocabSize: vocabSize, paddedVocabSize: paddedVocabSize ?? ((vocabSize + 127) / 128 * 128),
            pieces: vocabSize, sentinels: 0, eosId: 1, padId: 0, seqLen: length, tokenizer: "bytes",
            tokenizerXXH64: "", seed: 0, rows: rows.count, mixture: "test",
            phases: [.init(index: 0, name: "test", objective: "causal", seqLen: length, budget: rows.count * length)])
        try Data(metadata.encoded()).write(to: dir.appendingPathComponent(PackedLayout.metadataFile))
    }

    /// Real English prose as byte-level tokens (id = byte + 2; 0 pad, 1 EOS), packed greedily into rows.
    static func proseRows(count: Int, length: Int) throws -> [PackedRow] {
        let root = URL(fileURLWithPath: "/usr/share/doc/python3.11/html/_sources/tutorial")
        let files = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasSuffix(".rst.txt") }
            .sorted()
        var docs: [[UInt32]] = []
        for f in files {
            let bytes = try Data(contentsOf: root.appendingPathComponent(f))
            docs.append(bytes.prefix(3000).map { UInt32($0) + 2 } + [1])
        }
        var rows: [PackedRow] = []
        var pending: [[UInt32]] = []
        var used = 0
        var docIndex = 0, offset = 0
        while rows.count < count {
            let doc = docs[docIndex % docs.count]
            let take = min(length - used, doc.count - offset, length / 2)
            pending.append(Array(doc[offset..<(offset + take)]))
            used += take
            offset += take
            if offset >= doc.count { docIndex += 1; offset = 0 }
            if used >= length - 8 || pending.count >= 6 {
                rows.append(row(pending, length: length, origin: "prose row \(rows.count)"))
                pending = []
                used = 0
            }
        }
        return rows
    }
}
