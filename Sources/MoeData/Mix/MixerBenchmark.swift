import Foundation
import MDS
import PackedFormat

/// Measures the mixer alone: from `tokens/<source>/` MDS shards (zstd, hashes checked) to the
/// mixed stream of chunks, single-threaded. The datasets are written first and not timed.
public enum MixerBenchmark {
    public struct Result: Sendable {
        public var tokens: Int
        public var chunks: Int
        public var seconds: Double
        public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }
    }

    /// Table 1, Version I then Version II: nine sources, two phases.
    static let weights: [[(String, Double)]] = [
        [
            ("c4", 7.5), ("common_crawl", 33.5), ("github", 2.25), ("wikipedia", 2.25), ("book", 2.25), ("arxiv", 1.25),
            ("stackexchange", 1.0), ("the_stack", 50), ("wikipedia_en", 0),
        ],
        [
            ("c4", 15), ("common_crawl", 43.5), ("github", 5), ("wikipedia", 6.5), ("book", 6.5), ("arxiv", 4.5),
            ("stackexchange", 2.5), ("the_stack", 10), ("wikipedia_en", 6.5),
        ],
    ]

    /// - Parameters:
    ///   - tokens: source tokens to mix (split 70/30 over the two phases).
    ///   - chunkTokens: tokens per example requested from the mixer.
    ///   - directory: where to write the synthetic token datasets (a temporary folder if nil; removed after).
    public static func run(tokens: Int = 20_000_000, chunkTokens: Int = 2048, directory: URL? = nil) throws -> Result {
        let root =
            directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("moe-data-mixbench-\(getpid())")
        defer { if directory == nil { try? FileManager.default.removeItem(at: root) } }
        let sources = weights[0].map(\.0)
        let phases = [tokens * 7 / 10, tokens - tokens * 7 / 10]
        // Each source gets what the schedule asks of it plus a margin, in documents of 64..8191 tokens.
        for source in sources {
            let need = zip(weights, phases).reduce(0) { acc, p in
                let total = p.0.reduce(0) { $0 + $1.1 }
                return acc + Int(Double(p.1) * (p.0.first { $0.0 == source }?.1 ?? 0) / total) + 1
            }
            try writeSource(source, tokens: need + need / 50 + 8192, into: root)
        }
        let mixture = Mixture(
            file: "(benchmark)", name: "bench", description: "", seed: 1,
            phases: phases.enumerated().map { p, budget in
                MixturePhase(
                    name: "phase\(p)", budget: budget,
                    weights: weights[p].map {
                        MixtureWeight(source: $0.0, weight: $0.1, keyPath: "phases[\(p)].weights.\($0.0)")
                    },
                    objective: p == 0 ? .ul2(UL2Spec()) : .causal, seqLen: 2048, keyPath: "phases[\(p)]")
            },
            sourceOptions: [:], declaredTotalTokens: tokens)
        let start = DispatchTime.now().uptimeNanoseconds
        var mixer = try Mixer(mixture: mixture, tokensDirectory: root)
        var mixed = 0
        var chunks = 0
        while let chunk = try mixer.next(maxTokens: chunkTokens) {
            mixed += chunk.tokens.count
            chunks += 1
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Result(tokens: mixed, chunks: chunks, seconds: seconds)
    }

    static func writeSource(_ source: String, tokens: Int, into root: URL) throws {
        let writer = try MDSWriter(
            directory: root.appendingPathComponent(source),
            columns: [
                MDSColumn("doc_id", .str), MDSColumn("meta", .json), MDSColumn("source", .str),
                MDSColumn("tokens", .ndarray(.uint32, count: nil)),
            ])
        var rng = KeyedRandom(seed: 99, KeyedRandom.key(source))
        var written = 0
        var doc = 0
        while written < tokens {
            let n = 64 + Int(rng.next() % 8128)
            let base = UInt32(truncatingIfNeeded: rng.next() % 250_000)
            let ids = (0..<n).map { base &+ UInt32($0 % 977) }
            try writer.write([
                "doc_id": .string("\(source)/doc\(doc).txt"), "meta": .json(.object([:])),
                "source": .string(source), "tokens": .uint32s(ids),
            ])
            written += n
            doc += 1
        }
        try writer.finish()
    }
}
