import Foundation
import JSON
import MDS
import PackedFormat

/// The packed MDS rows written by `moe-data build`, read one shard at a time (bounded memory), in
/// either layout: compact rows are expanded as they are read, so the trainer sees the same rows.
public final class PackedDataset {
    public let directory: URL
    /// `moe-data.json`, its format version checked.
    public let info: PackedMetadata
    let mds: MDSDataset
    /// Global row numbers over the shards, from index.json.
    public let locator: RowLocator
    private var cachedIndex = -1
    private var cached: MDSShard?

    /// `path` is the build output folder or its `packed/` subfolder.
    public init(path: URL) throws {
        var dir = path
        let fm = FileManager.default
        let nestedIndex = PackedLayout.directoryName + "/index.json"
        if !fm.fileExists(atPath: dir.appendingPathComponent("index.json").path),
            fm.fileExists(atPath: dir.appendingPathComponent(nestedIndex).path)
        {
            dir = dir.appendingPathComponent(PackedLayout.directoryName)
        }
        guard fm.fileExists(atPath: dir.appendingPathComponent("index.json").path) else {
            throw TrainError(
                "\(path.path): no packed dataset here (no index.json, nor \(nestedIndex)); "
                    + "run `moe-data build` first")
        }
        directory = dir
        do { info = try PackedMetadata.read(dir.appendingPathComponent(PackedLayout.metadataFile)) } catch {
            throw TrainError("\(error)")
        }
        do { mds = try MDSDataset(directory: dir) } catch { throw TrainError("\(dir.path)/index.json: \(error)") }
        locator = RowLocator(shardRows: mds.index.shards.map(\.samples))
        guard rowCount > 0 else { throw TrainError("\(dir.path): the packed dataset has no rows") }
        for (i, entry) in mds.index.shards.enumerated() {
            for column in info.layout.required where !entry.columns.contains(where: { $0.name == column.name }) {
                throw TrainError(
                    "\(dir.path)/index.json: shard \(i) has no '\(column.name)' column, which "
                        + "\(info.layout.rawValue) rows have; is this a packed dataset?")
            }
        }
    }

    public var rowCount: Int { locator.rowCount }
    public var shardCount: Int { locator.shardCount }

    /// Row `row` of shard `shard`, decoded and checked; `withProvenance` also decodes where its
    /// segments came from (training does not need it).
    public func row(shard: Int, row: Int, withProvenance: Bool = false) throws -> PackedRow {
        if cachedIndex != shard {
            cached = nil
            do { cached = try mds.shard(shard) } catch {
                throw TrainError("packed shard \(shard) of \(directory.path): \(error)")
            }
            cachedIndex = shard
        }
        guard let s = cached else { throw TrainError("packed shard \(shard) of \(directory.path) could not be loaded") }
        let origin = PackedRow.origin(directory: directory, shard: mds.index.shards[shard], row: row)
        let sample: [String: MDSValue]
        do { sample = try s.sampleByName(row) } catch { throw TrainError("\(origin): \(error)") }
        do {
            return try PackedRow(sample: sample, layout: info.layout, origin: origin, withProvenance: withProvenance)
        } catch {
            throw TrainError("\(error)")
        }
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

    public init(
        dataset: PackedDataset, shuffle: Bool, seed: UInt64, rows: Range<Int>? = nil,
        position: DataPosition = DataPosition()
    ) {
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
            var rng = KeyedRandom(seed: seed, name: "epoch \(epoch) shards")
            shards.shuffle(using: &rng)
        }
        let locator = dataset.locator
        order = shards.map { s in
            var rows = (0..<locator.shardRows[s]).filter { self.rows.contains(locator.firstRow(ofShard: s) + $0) }
            if shuffle {
                var rng = KeyedRandom(seed: seed, name: "epoch \(epoch) shard \(s)")
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
        throw TrainError(
            "\(dataset.directory.path): data cursor \(position.cursor) is past the dataset's \(dataset.rowCount) rows")
    }
}
