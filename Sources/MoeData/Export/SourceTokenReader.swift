import Foundation
import MDS

/// Reads one source's documents from its token shards (`tokens/<source>/`) in canonical order:
/// the index's shards in order, each shard's samples in order. Only the `tokens` column is taken,
/// where it lies in the decompressed bytes; memory is bounded by `ShardSampleStream`'s pieces.
struct SourceTokenReader {
    let source: String
    let dataset: MDSDataset

    init(source: String, directory: URL) throws {
        self.source = source
        do { dataset = try MDSDataset(directory: directory) } catch {
            throw MoeDataError("\(directory.path): cannot open the token shards of source '\(source)': \(error)")
        }
    }

    /// Calls `body` with each document's tokens (uint32, valid during the call), in canonical order.
    func forEachDocument(_ body: (LittleEndianArray) throws -> Void) throws {
        var columns: (shard: Int, name: String, sample: SampleColumns, tokens: Int)?
        let stream = ShardSampleStream(dataset: dataset, shards: 0..<dataset.shardCount)
        defer { stream.close() }
        do {
            try stream.forEachSample { shard, index, bytes in
                if columns?.shard != shard {
                    let entry = dataset.index.shards[shard]
                    let sample = SampleColumns(columns: entry.columns)
                    guard let tokens = sample.index(of: "tokens"), sample.index(of: "doc_id") != nil else {
                        throw MoeDataError(
                            "\(dataset.directory.path)/index.json: source '\(source)' has no tokens and doc_id columns")
                    }
                    let name = dataset.directory.appendingPathComponent(entry.zipBasename ?? entry.rawBasename).path
                    columns = (shard, name, sample, tokens)
                }
                guard let name = columns?.name else { return false }
                try columns?.sample.locate(bytes, shard: name, index: index)
                guard let columns else { return false }
                try body(try columns.sample.array(columns.tokens, of: .uint32))
                return true
            }
        } catch let error as MDSError {
            throw MoeDataError("source '\(source)': \(error)")
        }
    }
}
