import Foundation
import MDS

/// Reads one source's documents from its token shards (`tokens/<source>/`) in canonical order:
/// the index's shards in order, each shard's samples in order; in memory, the decompressed shard
/// being read and the next one.
struct SourceTokenReader {
    let source: String
    let dataset: MDSDataset
    private let tokensColumn: Int
    private let idColumn: Int

    init(source: String, directory: URL) throws {
        self.source = source
        do { dataset = try MDSDataset(directory: directory) } catch {
            throw MoeDataError("\(directory.path): cannot open the token shards of source '\(source)': \(error)")
        }
        // A source without documents has no shards, hence no columns: it exports as an empty dataset.
        let columns = dataset.index.shards.first?.columns ?? TokenShard.columns
        guard let tokens = columns.firstIndex(where: { $0.name == "tokens" }),
            let id = columns.firstIndex(where: { $0.name == "doc_id" })
        else {
            throw MoeDataError("\(directory.path)/index.json: source '\(source)' has no tokens and doc_id columns")
        }
        tokensColumn = tokens
        idColumn = id
    }

    /// Calls `body` with each document's id and tokens, in canonical order. The next shard is
    /// decompressed on another thread while this one is read.
    func forEachDocument(_ body: (String, [UInt32]) throws -> Void) throws {
        let ahead = ShardReadAhead(dataset: dataset, limit: 1)
        defer { ahead.close() }
        for index in 0..<dataset.shardCount {
            let shard: MDSShard
            do { shard = try ahead.shard(index) } catch { throw MoeDataError("source '\(source)': \(error)") }
            ahead.request([index + 1].filter { $0 < dataset.shardCount })
            for sample in 0..<shard.count {
                let values = try shard.sample(sample)
                guard let tokens = values[tokensColumn].uint32s, let id = values[idColumn].string else {
                    throw MoeDataError(
                        "\(dataset.directory.path): shard \(index) sample \(sample) lacks tokens or doc_id")
                }
                try body(id, tokens)
            }
        }
    }
}
