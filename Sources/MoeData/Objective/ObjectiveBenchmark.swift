import PackedFormat

/// Throughput of the objective and packing stage alone, on synthetic token ids (no I/O, no
/// tokenizer): what `moe-data bench objective` reports. The target is >= 20M raw tokens/s per core.
public enum ObjectiveBenchmark {
    public struct Result: Sendable {
        /// Raw tokens through both phases per second of wall time.
        public var tokensPerSecond: Double
        /// UL2 (OpenMoE mixture, 1024 + 1024) + packing into 2048-token rows.
        public var ul2TokensPerSecond: Double
        /// Causal LM chunking into 2048 + packing.
        public var causalTokensPerSecond: Double
        public var ul2PaddingShare: Double
        public var rows: Int
    }

    /// Runs `tokens` raw tokens through each phase (single thread).
    public static func run(tokens: Int) throws -> Result {
        let vocabPieces: UInt32 = 256_000
        let sentinelCount = 300
        let stream = syntheticTokens(count: max(tokens, 1), below: vocabPieces)
        let clock = ContinuousClock()

        // UL2 phase: mode prefixes as a plain-text encoding would give them (a few ids each).
        let modes: [String: [UInt32]] = [
            "[NLU] ": [491, 10_020, 1_293], "[NLG] ": [491, 10_021, 1_293],
            "[S2S] ": [491, 10_022, 1_293],
        ]
        let ul2 = try UL2Objective(
            config: .openMoE, modePrefixTokens: modes, eosId: 1,
            sentinel: { UInt32(Int(vocabPieces) + sentinelCount - 1 - $0) },
            sentinelCount: sentinelCount, seed: 7)
        var packer = try Packer(rowLength: 2048)
        var rows = 0
        var checksum: UInt64 = 0
        let ul2Time = try clock.measure {
            var pos = 0
            var index: UInt64 = 0
            while pos < stream.count {
                let d = ul2.denoiserIndex(forExample: index)
                let n = min(ul2.rawLength(denoiser: d), stream.count - pos)
                let raw = Array(stream[pos..<(pos + n)])
                let example = try ul2.makeExample(
                    raw: raw, pieces: [RawPiece(docId: "bench", offset: pos, count: n)],
                    source: "bench", denoiser: d, exampleIndex: index)
                for row in try packer.add(example) { rows += 1; checksum &+= UInt64(row.tokens[0]) }
                pos += n
                index += 1
            }
            if packer.finish() != nil { rows += 1 }
        }
        let ul2Padding = packer.paddingShare

        // Causal phase: documents of 50 ... 3000 tokens.
        let causal = try CausalObjective(seqLen: 2048, eosId: 1)
        var chunker = causal.chunker(source: "bench")
        var causalPacker = try Packer(rowLength: 2048)
        var lengthRNG = KeyedRandom(seed: 7, 1)
        let causalTime = try clock.measure {
            var pos = 0
            var doc = 0
            while pos < stream.count {
                let n = min(lengthRNG.int(in: 50...3000), stream.count - pos)
                for example in chunker.add(docId: "d\(doc)", tokens: stream[pos..<(pos + n)]) {
                    for row in try causalPacker.add(example) { rows += 1; checksum &+= UInt64(row.tokens[0]) }
                }
                pos += n
                doc += 1
            }
            if let last = chunker.finish() { rows += try causalPacker.add(last).count }
            if causalPacker.finish() != nil { rows += 1 }
        }
        // Keeps the optimiser from discarding the rows.
        if checksum == UInt64.max { rows += 1 }

        let ul2Seconds = seconds(ul2Time)
        let causalSeconds = seconds(causalTime)
        return Result(
            tokensPerSecond: Double(2 * stream.count) / max(ul2Seconds + causalSeconds, 1e-9),
            ul2TokensPerSecond: Double(stream.count) / max(ul2Seconds, 1e-9),
            causalTokensPerSecond: Double(stream.count) / max(causalSeconds, 1e-9),
            ul2PaddingShare: ul2Padding, rows: rows)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    static func syntheticTokens(count: Int, below limit: UInt32) -> [UInt32] {
        var rng = KeyedRandom(seed: 7, 0)
        // Ids 3 ..< limit: never pad (0), EOS (1) or UNK (2), never a sentinel.
        return (0..<count).map { _ in UInt32(truncatingIfNeeded: rng.next() % UInt64(limit - 3)) + 3 }
    }
}
