import Foundation
import MDS
import PackedFormat

/// Read-only access to a source's documents in shuffled order.
///
/// The documents are numbered 0..<count in canonical order: the index's shards in index order,
/// each shard's samples in order (ingest writes them by source, file, record). They are cut into
/// blocks of `windowDocs` consecutive documents, the last one possibly short. Each epoch permutes
/// the blocks, then the documents within each block. Where the shards start plays no part, so a
/// source ingested as one task or as N (the same documents cut into other shards) gives the same
/// stream.
///
/// Memory stays bounded by one block: only the decompressed shards that the current block touches
/// are kept, and moving to another block drops the others. A shard is decompressed at most once
/// per visit of a block; shards that hold many blocks are decompressed once per such block.
///
/// A class because the caches are shared by copies of the mixer; they only memoize a pure
/// function of (epoch, position), so sharing them cannot change what any copy reads.
final class SourceDocuments {
    struct Document {
        let id: String
        let tokens: [UInt32]
    }

    /// The name of this order, recorded in mixer states and build signatures: a state saved under
    /// another order (before: windows of a shard, shards shuffled) must never be resumed with this one.
    static let shuffleScheme = "canonical-blocks-1"
    /// Mixed into the key of a block's document order, after (name, epoch), so that it can never
    /// draw the stream of the block order, keyed (name, epoch) alone.
    static let blockKeyTag: UInt64 = 0x626C_6F63_6B2D_646F  // "block-do"

    let name: String
    let dataset: MDSDataset
    let seed: UInt64
    let windowDocs: Int
    let count: Int
    /// Canonical number of each shard's first document, then `count`.
    private let shardStarts: [Int]
    private let blockCount: Int

    // The block order of `orderEpoch`, and where its short last block (if any) falls in it.
    private var orderEpoch = -1
    private var blockOrder: [Int] = []
    private var shortOrdinal = 0
    // The block being read, its document permutation, and the decompressed shards it has touched.
    private var currentBlock: (epoch: Int, block: Int)?
    private var blockPermutation: [Int] = []
    private var loadedShards: [Int: MDSShard] = [:]
    private var shardHint = 0
    private var lastDoc: (epoch: Int, position: Int, doc: Document)?
    private let tokensColumn: Int
    private let docIdColumn: Int

    /// Shards decompressed so far (for tests of the memory and decoding bounds).
    private(set) var shardLoads = 0
    /// The shards held in memory now, in index order.
    var loadedShardIndices: [Int] { loadedShards.keys.sorted() }
    /// The shards the current block's documents lie in.
    private(set) var currentBlockShards: ClosedRange<Int> = 0...0

    init(name: String, directory: URL, seed: UInt64, windowDocs: Int) throws {
        self.name = name
        self.seed = seed
        self.windowDocs = windowDocs
        do { dataset = try MDSDataset(directory: directory) } catch {
            throw MoeDataError("\(directory.path): cannot open the token dataset of source '\(name)': \(error)")
        }
        var starts = [0]
        for shard in dataset.index.shards { starts.append(starts[starts.count - 1] + shard.samples) }
        shardStarts = starts
        count = starts[starts.count - 1]
        blockCount = (count + windowDocs - 1) / windowDocs
        (tokensColumn, docIdColumn) = try SourceDocuments.columns(of: dataset, name: name)
    }

    /// Positions of the `tokens` and `doc_id` columns, the same in every shard.
    private static func columns(of dataset: MDSDataset, name: String) throws -> (tokens: Int, docId: Int) {
        let path = dataset.directory.path
        guard let columns = dataset.index.shards.first?.columns else { return (0, 0) }
        guard
            let t = columns.firstIndex(where: { $0.name == "tokens" && $0.encoding == .ndarray(.uint32, count: nil) }),
            let d = columns.firstIndex(where: { $0.name == "doc_id" && $0.encoding == .str })
        else {
            throw MoeDataError(
                "\(path)/index.json: source '\(name)' needs columns doc_id (str) and tokens (ndarray:uint32)")
        }
        if let odd = dataset.index.shards.firstIndex(where: { $0.columns != columns }) {
            throw MoeDataError("\(path)/index.json: shard \(odd) of source '\(name)' has other columns than shard 0")
        }
        return (t, d)
    }

    func document(epoch: Int, position: Int) throws -> Document {
        if let last = lastDoc, last.epoch == epoch, last.position == position { return last.doc }
        let (block, offset) = locate(epoch: epoch, position: position)
        if currentBlock.map({ $0 != (epoch, block) }) ?? true { enter(block: block, epoch: epoch) }
        let canonical = block * windowDocs + blockPermutation[offset]
        let shard = shardIndex(of: canonical)
        let doc = try read(shard: shard, sample: canonical - shardStarts[shard])
        lastDoc = (epoch, position, doc)
        return doc
    }

    /// (block, offset in the block's permutation) of `position` in `epoch`'s order.
    private func locate(epoch: Int, position: Int) -> (Int, Int) {
        if orderEpoch != epoch {
            var rng = KeyedRandom(seed: seed, KeyedRandom.key(name), UInt64(epoch))
            blockOrder = SourceDocuments.permutation(blockCount, &rng)
            // Every block holds windowDocs documents but the last one, which may hold fewer.
            let lastIsShort = count % windowDocs != 0
            shortOrdinal = lastIsShort ? blockOrder.firstIndex(of: blockCount - 1) ?? blockCount : blockCount
            orderEpoch = epoch
        }
        let w = windowDocs
        let shortStart = shortOrdinal * w
        if position < shortStart { return (blockOrder[position / w], position % w) }
        let shortSize = count - (blockCount - 1) * w
        if position < shortStart + shortSize { return (blockOrder[shortOrdinal], position - shortStart) }
        let full = position - shortSize
        return (blockOrder[full / w + 1], full % w)
    }

    /// Makes `block` current: draws its document order and drops the shards it does not touch.
    private func enter(block: Int, epoch: Int) {
        let start = block * windowDocs
        let size = min(windowDocs, count - start)
        var rng = KeyedRandom(
            seed: seed, KeyedRandom.key(name), UInt64(epoch), SourceDocuments.blockKeyTag, UInt64(block))
        blockPermutation = SourceDocuments.permutation(size, &rng)
        let touched = shardIndex(of: start)...shardIndex(of: start + size - 1)
        loadedShards = loadedShards.filter { touched.contains($0.key) }
        currentBlockShards = touched
        currentBlock = (epoch, block)
    }

    /// The shard holding canonical document `n` (shards without samples never do).
    private func shardIndex(of n: Int) -> Int {
        // Neighbouring documents usually share a shard.
        if shardStarts[shardHint] <= n && n < shardStarts[shardHint + 1] { return shardHint }
        // The last shard whose start is ≤ n: it is not empty, as the next one starts after n.
        var lo = 0
        var hi = shardStarts.count - 2
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if shardStarts[mid] <= n { lo = mid } else { hi = mid - 1 }
        }
        shardHint = lo
        return lo
    }

    private func read(shard index: Int, sample: Int) throws -> Document {
        let shard: MDSShard
        if let loaded = loadedShards[index] {
            shard = loaded
        } else {
            do { shard = try dataset.shard(index) } catch {
                throw MoeDataError("source '\(name)': \(error)")
            }
            loadedShards[index] = shard
            shardLoads += 1
        }
        let values: [MDSValue]
        do { values = try shard.sample(sample) } catch {
            throw MoeDataError("source '\(name)': \(error)")
        }
        guard let tokens = values[tokensColumn].uint32s, let id = values[docIdColumn].string else {
            throw MoeDataError("\(dataset.directory.path): shard \(index) sample \(sample) lacks tokens or doc_id")
        }
        return Document(id: id, tokens: tokens)
    }

    /// Fisher–Yates with our own index draw (multiply-high), so the order can never change
    /// with the standard library's shuffle or random-range algorithms.
    static func permutation(_ n: Int, _ rng: inout KeyedRandom) -> [Int] {
        var p = Array(0..<n)
        var i = n - 1
        while i > 0 {
            let j = Int(rng.next().multipliedFullWidth(by: UInt64(i + 1)).high)
            p.swapAt(i, j)
            i -= 1
        }
        return p
    }
}
