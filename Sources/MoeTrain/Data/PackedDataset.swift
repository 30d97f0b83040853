import Foundation
import JSON
import MDS

/// The fields of `packed/moe-data.json` the trainer needs.
public struct PackedInfo: Sendable, Equatable {
    public var vocabSize: Int
    public var paddedVocabSize: Int
    public var seqLen: Int
    public var rows: Int

    public init(vocabSize: Int, paddedVocabSize: Int, seqLen: Int, rows: Int) {
        self.vocabSize = vocabSize
        self.paddedVocabSize = paddedVocabSize
        self.seqLen = seqLen
        self.rows = rows
    }

    public static func read(_ url: URL) throws -> PackedInfo {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainError("\(url.path): missing; the trainer reads vocab_size and seq_len from it (written by `moe-data build`)")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(data) } catch { throw TrainError("\(url.path): \(error)") }
        func int(_ key: String) throws -> Int {
            guard let v = json[key]?.intValue, v >= 0 else { throw TrainError("\(url.path): key '\(key)' missing or not a non-negative integer") }
            return Int(v)
        }
        let info = PackedInfo(vocabSize: try int("vocab_size"), paddedVocabSize: try int("padded_vocab_size"),
                              seqLen: try int("seq_len"), rows: try int("rows"))
        guard info.vocabSize > 0, info.paddedVocabSize >= info.vocabSize else {
            throw TrainError("\(url.path): padded_vocab_size \(info.paddedVocabSize) must be ≥ vocab_size \(info.vocabSize) > 0")
        }
        return info
    }
}

/// The packed MDS rows written by `moe-data build`, read one shard at a time (bounded memory).
public final class PackedDataset {
    public let directory: URL
    public let info: PackedInfo
    let mds: MDSDataset
    /// Rows in each shard, from index.json.
    public let shardRows: [Int]
    private var cachedIndex = -1
    private var cached: MDSShard?

    /// `path` is the build output folder or its `packed/` subfolder.
    public init(path: URL) throws {
        var dir = path
        let fm = FileManager.default
        if !fm.fileExists(atPath: dir.appendingPathComponent("index.json").path),
           fm.fileExists(atPath: dir.appendingPathComponent("packed/index.json").path) {
            dir = dir.appendingPathComponent("packed")
        }
        guard fm.fileExists(atPath: dir.appendingPathComponent("index.json").path) else {
            throw TrainError("\(path.path): no packed dataset here (no index.json, nor packed/index.json); run `moe-data build` first")
        }
        directory = dir
        info = try PackedInfo.read(dir.appendingPathComponent("moe-data.json"))
        do { mds = try MDSDataset(directory: dir) } catch { throw TrainError("\(dir.path)/index.json: \(error)") }
        shardRows = mds.index.shards.map(\.samples)
        guard rowCount > 0 else { throw TrainError("\(dir.path): the packed dataset has no rows") }
        for (i, entry) in mds.index.shards.enumerated() {
            for column in ["tokens", "loss_mask", "segment_ids", "positions"] where !entry.columns.contains(where: { $0.name == column }) {
                throw TrainError("\(dir.path)/index.json: shard \(i) has no '\(column)' column; is this a packed dataset?")
            }
        }
    }

    public var rowCount: Int { shardRows.reduce(0, +) }
    public var shardCount: Int { shardRows.count }

    /// Row `row` of shard `shard`, decoded and checked.
    public func row(shard: Int, row: Int) throws -> PackedRow {
        if cachedIndex != shard {
            cached = nil
            do { cached = try mds.shard(shard) } catch { throw TrainError("packed shard \(shard) of \(directory.path): \(error)") }
            cachedIndex = shard
        }
        guard let s = cached else { throw TrainError("packed shard \(shard) of \(directory.path) could not be loaded") }
        let name = mds.index.shards[shard].zipBasename ?? mds.index.shards[shard].rawBasename
        let origin = "\(directory.appendingPathComponent(name).path) row \(row)"
        let values: [String: MDSValue]
        do { values = try s.sampleByName(row) } catch { throw TrainError("\(origin): \(error)") }
        func column<V>(_ key: String, _ get: (MDSValue) -> V?, _ kind: String) throws -> V {
            guard let value = values[key], let v = get(value) else { throw TrainError("\(origin): column '\(key)' missing or not \(kind)") }
            return v
        }
        let tokens = try column("tokens", { $0.uint32s }, "ndarray:uint32")
        let prefix = values["prefix"] == nil ? [UInt8](repeating: 0, count: tokens.count)
            : try column("prefix", { $0.uint8s }, "ndarray:uint8")
        return PackedRow(tokens: tokens, lossMask: try column("loss_mask", { $0.uint8s }, "ndarray:uint8"),
                         segmentIds: try column("segment_ids", { $0.uint16s }, "ndarray:uint16"),
                         positions: try column("positions", { $0.uint16s }, "ndarray:uint16"),
                         prefix: prefix, origin: origin)
    }
}

/// Where the trainer is in the data: rows consumed in the current epoch. Saved in checkpoints.
public struct DataPosition: Sendable, Equatable, Codable {
    public var epoch: Int
    public var cursor: Int
    public init(epoch: Int = 0, cursor: Int = 0) {
        self.epoch = epoch
        self.cursor = cursor
    }
}

/// The order rows are read in: in order, or a seeded shuffle of the shards and of the rows inside each
/// shard (one shard is decoded at a time, as mosaicml-streaming's block shuffles do). The order of an
/// epoch depends only on (seed, epoch), so a resumed run reads exactly the rows it would have read.
public final class RowStream {
    public let dataset: PackedDataset
    public let shuffle: Bool
    public let seed: UInt64
    /// The rows (global indices in dataset order) this stream reads; the rest may be held out for evaluation.
    public let rows: Range<Int>
    public private(set) var position: DataPosition
    private var order: [(shard: Int, rows: [Int])] = []
    private var orderEpoch = -1

    public init(dataset: PackedDataset, shuffle: Bool, seed: UInt64, rows: Range<Int>? = nil,
                position: DataPosition = DataPosition()) {
        self.dataset = dataset
        self.shuffle = shuffle
        self.seed = seed
        self.rows = rows ?? 0..<dataset.rowCount
        self.position = position
    }

    /// Continues from a saved position (resume).
    public func seek(to position: DataPosition) { self.position = position }

    func buildOrder(epoch: Int) {
        var shards = Array(0..<dataset.shardCount)
        if shuffle {
            var rng = SplitMix(seed: seed, key: "epoch \(epoch) shards")
            shards.shuffle(using: &rng)
        }
        var shardStart = [0]
        for n in dataset.shardRows { shardStart.append(shardStart[shardStart.count - 1] + n) }
        order = shards.map { s in
            var rows = (0..<dataset.shardRows[s]).filter { self.rows.contains(shardStart[s] + $0) }
            if shuffle {
                var rng = SplitMix(seed: seed, key: "epoch \(epoch) shard \(s)")
                rows.shuffle(using: &rng)
            }
            return (s, rows)
        }
        orderEpoch = epoch
    }

    public func next() throws -> PackedRow {
        guard !rows.isEmpty else { throw TrainError("\(dataset.directory.path): no rows to read (all held out?)") }
        if position.cursor >= rows.count { position = DataPosition(epoch: position.epoch + 1, cursor: 0) }
        if orderEpoch != position.epoch { buildOrder(epoch: position.epoch) }
        var rest = position.cursor
        for entry in order {
            if rest < entry.rows.count {
                position.cursor += 1
                return try dataset.row(shard: entry.shard, row: entry.rows[rest])
            }
            rest -= entry.rows.count
        }
        throw TrainError("\(dataset.directory.path): data cursor \(position.cursor) is past the dataset's \(dataset.rowCount) rows")
    }
}
