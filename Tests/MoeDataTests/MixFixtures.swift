import Foundation
import MDS
import MoeTestSupport
import PackedFormat

@testable import MoeData

/// Token datasets for mixer tests, written with the real MDS writer (zstd, several shards),
/// laid out as `<root>/tokens/<source>/` like `moe-data ingest` writes them.
final class MixFixture {
    let root: URL
    var tokensDirectory: URL { root.appendingPathComponent("tokens") }
    /// Documents of each source in file order: (doc_id, tokens).
    private(set) var documents: [String: [(id: String, tokens: [UInt32])]] = [:]

    init() throws {
        root = TempFolder.root.appendingPathComponent("mix-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Writes a source of exactly `tokens` tokens in documents of `docLengths` tokens
    /// (the last one trimmed), with shards small enough that there are several.
    func addSource(_ name: String, tokens: Int, docLengths: ClosedRange<Int> = 20...900, shardBytes: Int = 16_384)
        throws
    {
        let writer = try MDSWriter(
            directory: tokensDirectory.appendingPathComponent(name),
            columns: [
                MDSColumn("doc_id", .str), MDSColumn("meta", .json), MDSColumn("source", .str),
                MDSColumn("tokens", .ndarray(.uint32, count: nil)),
            ], sizeLimit: shardBytes)
        var rng = KeyedRandom(seed: 5, KeyedRandom.key(name))
        var docs: [(String, [UInt32])] = []
        var written = 0
        let sourceTag = UInt32(truncatingIfNeeded: KeyedRandom.key(name) % 1000) * 1_000_000
        while written < tokens {
            let n = min(rng.int(in: docLengths), tokens - written)
            let id = "\(name)/file\(docs.count / 10).jsonl:\(docs.count % 10 + 1)"
            // Token values encode (source, document, index) so any misplaced token is visible.
            let ids = (0..<n).map { sourceTag + UInt32(docs.count) * 1000 + UInt32($0 % 1000) }
            try writer.write([
                "doc_id": .string(id), "meta": .json(.object([:])), "source": .string(name), "tokens": .uint32s(ids),
            ])
            docs.append((id, ids))
            written += n
        }
        try writer.finish()
        documents[name] = docs
    }

    func tokenCount(_ source: String) -> Int { documents[source]?.reduce(0) { $0 + $1.tokens.count } ?? 0 }

    func document(_ source: String, id: String) -> [UInt32]? { documents[source]?.first { $0.id == id }?.tokens }

    func writeMixture(_ yaml: String, name: String = "mix.yaml") throws -> String {
        let path = root.appendingPathComponent(name).path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// Runs a mixer to the end, collecting every chunk.
func drain(_ mixer: inout Mixer, maxTokens: Int) throws -> [MixedChunk] {
    var out: [MixedChunk] = []
    while let c = try mixer.next(maxTokens: maxTokens) { out.append(c) }
    return out
}

/// `<package>/mixtures/<name>.yaml`.
func presetPath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("mixtures").appendingPathComponent(name + ".yaml").path
}

/// The canonical OpenMoE source names and their domains (as a manifest would give them).
let openMoEDomains: [String: String] = [
    "c4": "web", "common_crawl": "web", "github": "code", "wikipedia": "wiki", "book": "books", "arxiv": "arxiv",
    "stackexchange": "stackexchange", "the_stack": "code", "wikipedia_en": "wiki",
]
