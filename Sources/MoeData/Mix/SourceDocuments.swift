import Foundation
import MDS
import PackedFormat

/// Read-only access to a source's documents in shuffled order.
///
/// The documents are numbered 0..<count in canonical order: the index's shards in index order,
/// each shard's samples in order (ingest writes them by source, file, record). They are cut into
/// windows of `windowDocs` consecutive documents, and the windows into blocks of `blockWindows`
/// consecutive windows (the last window and block possibly short). Each epoch permutes the blocks;
/// within a block the windows follow in order, each one's documents permuted. Where the shards
/// start plays no part, so a source ingested as one task or as N (the same documents cut into
/// other shards) gives the same stream.
///
/// This is the order of before with shards replaced by blocks: shards of 64 MiB hold from a few
/// thousand to some tens of thousands of documents, and a block of 32 windows (131,072 documents)
/// covers a few of them, so reading a block in window order decompresses each of its shards once
/// (a shard cut by a block boundary once more). Permuting the windows themselves would decompress
/// a shard once for every window in it, 3 to 4 times slower on documents of a few hundred tokens.
///
/// Memory stays bounded by one window: only the decompressed shards that the current window
/// touches are kept (those it shares with the next window stay), the others are dropped.
///
/// A class because the caches are shared by copies of the mixer; they only memoize a pure
/// function of (epoch, position), so sharing them cannot change what any copy reads.
final class SourceDocuments {
    struct Document {
        let id: String
        /// Empty when the source counts (`counting`).
        let tokens: [UInt32]
        let length: Int

        init(id: String, tokens: [UInt32]) {
            self.id = id
            self.tokens = tokens
            length = tokens.count
        }

        init(length: Int) {
            id = ""
            tokens = []
            self.length = length
        }

        /// A document the dedup stage removed: the stream passes over it.
        static let removed = Document(length: -1)
        var isRemoved: Bool { length < 0 }
    }

    /// The name of this order, recorded in mixer states and build signatures: a state saved under
    /// another order (before: shards shuffled, windows of a shard) must never be resumed with this
    /// one. Give it a new name whenever the order changes, `defaultBlockWindows` included.
    static let shuffleScheme = "canonical-blocks-1"
    static let defaultBlockWindows = 32
    /// Mixed into the key of a window's document order, after (name, epoch), so that it can never
    /// draw the stream of the block order, keyed (name, epoch) alone.
    static let windowKeyTag: UInt64 = 0x7769_6E64_6F77_646F  // "windowdo"

    let name: String
    let dataset: MDSDataset
    let seed: UInt64
    let windowDocs: Int
    let blockWindows: Int
    let count: Int
    /// Canonical number of each shard's first document, then `count`.
    private let shardStarts: [Int]
    private let blockDocs: Int
    private let blockCount: Int

    // The block order of `orderEpoch`, and where its short last block (if any) falls in it.
    private var orderEpoch = -1
    private var blockOrder: [Int] = []
    private var shortOrdinal = 0
    // The window being read, its document permutation, and the decompressed shards it has touched.
    private var currentWindow: (epoch: Int, window: Int)?
    private var windowPermutation: [Int] = []
    private var loadedShards: [Int: any MDSSampleSource] = [:]
    private var shardHint = 0
    private var lastDoc: (epoch: Int, position: Int, doc: Document)?
    private let tokensColumn: Int
    private let docIdColumn: Int
    /// Canonical numbers of the documents the dedup stage removed, sorted (none without `dedup:`).
    private let removed: [Int]
    /// In a simulation (`CountedBuildSteps`), each shard's document lengths from the catalog: a
    /// document is then its length alone (no id, no tokens), and no shard is read. A shard the
    /// catalog has no lengths for (or lengths that do not match its sample count) is read instead.
    private let lengths: [[UInt32]?]?
    /// Whether documents are lengths alone (`lengths` given): the stream then counts tokens.
    var counting: Bool { lengths != nil }

    /// Shards decompressed so far (for tests of the memory and decoding bounds).
    private(set) var shardLoads = 0
    /// The shards held in memory now, in index order.
    var loadedShardIndices: [Int] { loadedShards.keys.sorted() }
    /// The shards the current window's documents lie in.
    private(set) var currentWindowShards: ClosedRange<Int> = 0...0

    /// Reads the next window's shards on another thread (`--jobs` above 1); nil: all on this one.
    private let readAhead: ShardReadAhead?
    /// Where the current window starts in its epoch's order, and how many of its documents were read.
    private var windowStart = 0
    private var windowReads = 0

    /// `readAhead`: decode the shards of the window read and of the next one on a thread of its own.
    init(
        name: String, directory: URL, seed: UInt64, windowDocs: Int,
        blockWindows: Int = SourceDocuments.defaultBlockWindows, lengths: [[UInt32]?]? = nil,
        readAhead: Bool = false
    ) throws {
        self.name = name
        self.seed = seed
        self.windowDocs = windowDocs
        self.blockWindows = blockWindows
        do { dataset = try MDSDataset(directory: directory) } catch {
            throw MoeDataError("\(directory.path): cannot open the token dataset of source '\(name)': \(error)")
        }
        var starts = [0]
        for shard in dataset.index.shards { starts.append(starts[starts.count - 1] + shard.samples) }
        shardStarts = starts
        count = starts[starts.count - 1]
        blockDocs = windowDocs * blockWindows
        blockCount = (count + blockDocs - 1) / blockDocs
        (tokensColumn, docIdColumn) = try SourceDocuments.columns(of: dataset, name: name)
        removed = try RemovedDocuments.load(sourceDirectory: directory, source: name) ?? []
        let shards = dataset.index.shards
        self.lengths = lengths.map { lengths in
            shards.indices.map { i in i < lengths.count && lengths[i]?.count == shards[i].samples ? lengths[i] : nil }
        }
        // Counting from lengths reads no shard: nothing to read ahead.
        self.readAhead = readAhead && lengths == nil ? ShardReadAhead(dataset: dataset, progressive: true) : nil
    }

    deinit {
        readAhead?.close()
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
        let (window, offset) = locate(epoch: epoch, position: position)
        if currentWindow.map({ $0 != (epoch, window) }) ?? true {
            try enter(window: window, epoch: epoch)
            windowStart = position - offset
            windowReads = 0
            readAhead?.request(currentWindowShards.filter { loadedShards[$0] == nil })
        }
        windowReads += 1
        // Half-way through a window, its successor's shards: early enough to be decoded when they are
        // needed, late enough that a build ending in this window rarely decodes a shard for nothing.
        if readAhead != nil && windowReads == max(1, windowPermutation.count / 2) {
            readAheadNextWindow(epoch: epoch)
        }
        let canonical = window * windowDocs + windowPermutation[offset]
        let shard = shardIndex(of: canonical)
        let sample = canonical - shardStarts[shard]
        let doc: Document
        if !removed.isEmpty && RemovedDocuments.contains(removed, canonical) {
            doc = .removed
        } else if let shardLengths = lengths?[shard] {
            doc = Document(length: Int(shardLengths[sample]))
        } else {
            doc = try read(shard: shard, sample: sample)
        }
        lastDoc = (epoch, position, doc)
        return doc
    }

    /// Enters the first window of the first epoch and asks for its shards, as the first read at
    /// (0, 0) does, without waiting for them (`OpenedSources`).
    func readFirstWindowAhead() throws {
        let (window, offset) = locate(epoch: 0, position: 0)
        try enter(window: window, epoch: 0)
        windowStart = -offset
        windowReads = 0
        readAhead?.request(currentWindowShards.filter { loadedShards[$0] == nil })
    }

    /// True when a shard read ahead could not be read (`ShardReadAhead.hasFailed`).
    var readAheadFailed: Bool { readAhead?.hasFailed() ?? false }

    /// (window, offset in the window's permutation) of `position` in `epoch`'s order.
    private func locate(epoch: Int, position: Int) -> (Int, Int) {
        if orderEpoch != epoch {
            var rng = KeyedRandom(seed: seed, KeyedRandom.key(name), UInt64(epoch))
            blockOrder = SourceDocuments.permutation(blockCount, &rng)
            // Every block holds blockDocs documents but the last one, which may hold fewer.
            let lastIsShort = count % blockDocs != 0
            shortOrdinal = lastIsShort ? blockOrder.firstIndex(of: blockCount - 1) ?? blockCount : blockCount
            orderEpoch = epoch
        }
        // The block at `position`, and the position's offset in it.
        let block: Int
        let inBlock: Int
        let shortStart = shortOrdinal * blockDocs
        let shortSize = count - (blockCount - 1) * blockDocs
        if position < shortStart {
            (block, inBlock) = (blockOrder[position / blockDocs], position % blockDocs)
        } else if position < shortStart + shortSize {
            (block, inBlock) = (blockOrder[shortOrdinal], position - shortStart)
        } else {
            let full = position - shortSize
            (block, inBlock) = (blockOrder[full / blockDocs + 1], full % blockDocs)
        }
        return (block * blockWindows + inBlock / windowDocs, inBlock % windowDocs)
    }

    /// Makes `window` current: draws its document order and drops the shards it does not touch,
    /// once their bytes are verified.
    private func enter(window: Int, epoch: Int) throws {
        let start = window * windowDocs
        let size = min(windowDocs, count - start)
        var rng = KeyedRandom(
            seed: seed, KeyedRandom.key(name), UInt64(epoch), SourceDocuments.windowKeyTag, UInt64(window))
        windowPermutation = SourceDocuments.permutation(size, &rng)
        let touched = shardIndex(of: start)...shardIndex(of: start + size - 1)
        for (index, shard) in loadedShards where !touched.contains(index) { try verify(shard, index) }
        loadedShards = loadedShards.filter { touched.contains($0.key) }
        currentWindowShards = touched
        currentWindow = (epoch, window)
    }

    /// Asks for the shards of the window after the current one in `epoch`'s order that the current
    /// one does not hold (none at the end of the epoch).
    private func readAheadNextWindow(epoch: Int) {
        let next = windowStart + windowPermutation.count
        guard let readAhead, next < count else { return }
        let (window, _) = locate(epoch: epoch, position: next)
        let start = window * windowDocs
        let end = min(start + windowDocs, count) - 1
        readAhead.request((shardIndex(of: start)...shardIndex(of: end)).filter { !currentWindowShards.contains($0) })
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

    /// Checks every shard read so far against index.json (one decoded on another thread is
    /// checked once it is whole): the mixer calls this when its last row is made, so no build
    /// ends on rows from a shard that turns out not to be the one ingest wrote.
    func verifyLoadedShards() throws {
        for (index, shard) in loadedShards.sorted(by: { $0.key < $1.key }) { try verify(shard, index) }
    }

    private func verify(_ shard: any MDSSampleSource, _ index: Int) throws {
        do { try shard.verify() } catch { throw MoeDataError("source '\(name)', shard \(index): \(error)") }
    }

    private func read(shard index: Int, sample: Int) throws -> Document {
        let shard: any MDSSampleSource
        if let loaded = loadedShards[index] {
            shard = loaded
        } else {
            do { shard = try readAhead?.samples(index) ?? dataset.shard(index) } catch {
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
