import Foundation
import MDS
import PackedFormat

/// Where a source's reader stands: enough integers to resume without replaying anything.
public struct SourceCursor: Codable, Sendable, Equatable {
    /// Pass over the source, from 0; each epoch has its own shuffle.
    public var epoch: Int
    /// Index of the current document in the epoch's shuffled order.
    public var position: Int
    /// Tokens of that document already consumed (documents longer than a chunk are split).
    public var offset: Int

    public init(epoch: Int = 0, position: Int = 0, offset: Int = 0) {
        self.epoch = epoch
        self.position = position
        self.offset = offset
    }
}

/// One source's tokens as a stream in a seeded order: shards shuffled per epoch, documents
/// shuffled within windows of `windowDocs` consecutive documents of a shard. The order is a
/// pure function of (seed, source, epoch), so the cursor alone locates any position.
///
/// Windows stop at shard boundaries on purpose: a window then touches one shard, so one
/// decompressed shard per source is ever needed and a random window never thrashes a cache.
struct SourceStream {
    let documents: SourceDocuments
    let maxEpochs: Int
    var cursor: SourceCursor

    /// A source that ran out: `taken` tokens of the request were delivered before it did.
    struct Exhausted: Error {
        let taken: Int
    }

    /// Appends up to `count` tokens to `chunk`, concatenating consecutive documents (T5's
    /// reduce_concat) and splitting a document that does not fit. Throws `Exhausted` when
    /// the last allowed epoch ends first.
    mutating func take(_ count: Int, into chunk: inout MixedChunk) throws {
        var remaining = count
        while remaining > 0 {
            if cursor.position >= documents.count {
                guard cursor.epoch + 1 < maxEpochs else { throw Exhausted(taken: count - remaining) }
                cursor = SourceCursor(epoch: cursor.epoch + 1)
                continue
            }
            let doc = try documents.document(epoch: cursor.epoch, position: cursor.position)
            let k = min(doc.tokens.count - cursor.offset, remaining)
            if k > 0 {
                chunk.tokens.append(contentsOf: doc.tokens[cursor.offset..<(cursor.offset + k)])
                chunk.pieces.append(RawPiece(docId: doc.id, offset: cursor.offset, count: k))
                cursor.offset += k
                remaining -= k
            }
            if cursor.offset >= doc.tokens.count {
                chunk.docEnds.append(chunk.tokens.count)
                cursor.position += 1
                cursor.offset = 0
            }
        }
    }
}

/// Read-only access to a source's documents in shuffled order, with small caches.
///
/// A class because the caches are shared by copies of the mixer; they only memoize a pure
/// function of (epoch, position), so sharing them cannot change what any copy reads.
final class SourceDocuments {
    struct Document {
        let id: String
        let tokens: [UInt32]
    }

    let name: String
    let dataset: MDSDataset
    let seed: UInt64
    let windowDocs: Int
    private let sampleCounts: [Int]
    let count: Int

    // Shuffled shard order of `orderEpoch` and the running sample starts in that order.
    private var orderEpoch = -1
    private var shardOrder: [Int] = []
    private var orderStarts: [Int] = []
    private var ordinalHint = 0
    // Permutation of the current window.
    private var windowKey: (epoch: Int, shard: Int, window: Int)?
    private var windowPerm: [Int] = []
    // The decompressed shard in use (one per source bounds memory to one shard each).
    private var loadedShard: (index: Int, shard: MDSShard)?
    private var lastDoc: (epoch: Int, position: Int, doc: Document)?
    private let tokensColumn: Int
    private let docIdColumn: Int

    init(name: String, directory: URL, seed: UInt64, windowDocs: Int) throws {
        self.name = name
        self.seed = seed
        self.windowDocs = windowDocs
        do { dataset = try MDSDataset(directory: directory) } catch {
            throw MoeDataError("\(directory.path): cannot open the token dataset of source '\(name)': \(error)")
        }
        sampleCounts = dataset.index.shards.map(\.samples)
        count = sampleCounts.reduce(0, +)
        guard let columns = dataset.index.shards.first?.columns else {
            tokensColumn = 0
            docIdColumn = 0
            return
        }
        guard
            let t = columns.firstIndex(where: { $0.name == "tokens" && $0.encoding == .ndarray(.uint32, count: nil) }),
            let d = columns.firstIndex(where: { $0.name == "doc_id" && $0.encoding == .str })
        else {
            throw MoeDataError(
                "\(directory.path)/index.json: source '\(name)' needs columns doc_id (str) and tokens (ndarray:uint32)")
        }
        tokensColumn = t
        docIdColumn = d
        if let odd = dataset.index.shards.firstIndex(where: { $0.columns != columns }) {
            throw MoeDataError(
                "\(directory.path)/index.json: shard \(odd) of source '\(name)' has other columns than shard 0")
        }
    }

    func document(epoch: Int, position: Int) throws -> Document {
        if let last = lastDoc, last.epoch == epoch, last.position == position { return last.doc }
        let (shard, local) = locate(epoch: epoch, position: position)
        let window = local / windowDocs
        let windowStart = window * windowDocs
        if windowKey.map({ $0 != (epoch, shard, window) }) ?? true {
            let size = min(windowDocs, sampleCounts[shard] - windowStart)
            var rng = KeyedRandom(seed: seed, KeyedRandom.key(name), UInt64(epoch), UInt64(shard), UInt64(window))
            windowPerm = SourceDocuments.permutation(size, &rng)
            windowKey = (epoch, shard, window)
        }
        let sample = windowStart + windowPerm[local - windowStart]
        let doc = try read(shard: shard, sample: sample)
        lastDoc = (epoch, position, doc)
        return doc
    }

    /// (shard index, sample within that shard's order) of `position` in `epoch`.
    private func locate(epoch: Int, position: Int) -> (Int, Int) {
        if orderEpoch != epoch {
            var rng = KeyedRandom(seed: seed, KeyedRandom.key(name), UInt64(epoch))
            shardOrder = SourceDocuments.permutation(sampleCounts.count, &rng)
            orderStarts = [0]
            for s in shardOrder { orderStarts.append(orderStarts[orderStarts.count - 1] + sampleCounts[s]) }
            orderEpoch = epoch
            ordinalHint = 0
        }
        // Reading is sequential, so the previous shard (or the next) nearly always holds it.
        var ordinal = ordinalHint
        if !(orderStarts[ordinal] <= position && position < orderStarts[ordinal + 1]) {
            var lo = 0, hi = shardOrder.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if orderStarts[mid] <= position { lo = mid } else { hi = mid - 1 }
            }
            ordinal = lo
            ordinalHint = lo
        }
        return (shardOrder[ordinal], position - orderStarts[ordinal])
    }

    private func read(shard index: Int, sample: Int) throws -> Document {
        let shard: MDSShard
        if let loaded = loadedShard, loaded.index == index {
            shard = loaded.shard
        } else {
            do { shard = try dataset.shard(index) } catch {
                throw MoeDataError("source '\(name)': \(error)")
            }
            loadedShard = (index, shard)
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
