import Foundation
import MDS
import PackedFormat

/// One packed row as an export reads it: its tokens where they lie in the shard's bytes (valid
/// while the reader's call lasts), and with the provenance, its segments' lengths and sources.
struct PackedRowView {
    /// The row's tokens, padding included (uint32).
    let tokens: LittleEndianArray
    /// Tokens of each segment, in order; empty unless read with the provenance.
    let segmentLengths: [Int]
    /// The `provenance` column, one entry per segment; empty unless asked for.
    let segments: [SegmentProvenance]
    let place: PackedRowPlace

    /// "<shard file> row <i>", for errors.
    var origin: String { place.origin }
}

/// Where a row was read: its origin in errors is made only when one is thrown.
struct PackedRowPlace {
    let dataset: MDSDataset
    let shard: Int
    /// The row's number in its shard.
    let row: Int

    var origin: String { PackedRow.origin(directory: dataset.directory, shard: dataset.index.shards[shard], row: row) }
}

/// The columns of a packed shard's rows that the exports read, located in each row's bytes: the
/// tokens, the phase, and (for the segment lengths) the provenance with `segment_ids` (explicit
/// layout) or `segment_lengths` (compact layout).
struct PackedRowColumns {
    let dataset: MDSDataset
    let shard: Int
    let layout: PackedRowLayout
    private var sample: SampleColumns
    private let shardName: String
    private let tokens: Int
    private let phase: Int?
    private let provenance: Int?
    /// `segment_ids` in the explicit layout, `segment_lengths` in the compact one.
    private let segmentColumn: Int?

    init(dataset: MDSDataset, shard: Int, layout: PackedRowLayout) throws {
        let entry = dataset.index.shards[shard]
        self.dataset = dataset
        self.shard = shard
        self.layout = layout
        sample = SampleColumns(columns: entry.columns)
        shardName = dataset.directory.appendingPathComponent(entry.zipBasename ?? entry.rawBasename).path
        guard let tokens = sample.index(of: PackedColumn.tokens.name) else {
            throw MoeDataError("\(shardName): packed rows without a '\(PackedColumn.tokens.name)' column")
        }
        self.tokens = tokens
        phase = sample.index(of: PackedColumn.phase.name)
        provenance = sample.index(of: PackedColumn.provenance.name)
        segmentColumn = sample.index(of: (layout == .explicit ? PackedColumn.segmentIds : .segmentLengths).name)
    }

    /// Finds the columns of the shard's row `index`, whose bytes are `bytes`.
    mutating func locate(_ bytes: UnsafeRawBufferPointer, index: Int) throws {
        try sample.locate(bytes, shard: shardName, index: index)
    }

    /// The row's phase (0-based), nil when the rows have no `phase` column.
    func rowPhase() throws -> Int? { try phase.map { Int(try sample.int64($0)) } }

    /// The located row; with its provenance and segment lengths when `withProvenance`.
    func row(withProvenance: Bool, index: Int) throws -> PackedRowView {
        let place = PackedRowPlace(dataset: dataset, shard: shard, row: index)
        let tokens = try sample.array(self.tokens, of: .uint32)
        guard withProvenance else {
            return PackedRowView(tokens: tokens, segmentLengths: [], segments: [], place: place)
        }
        let origin = { place.origin }
        guard let provenance, let segmentColumn else {
            let wanted = [PackedColumn.provenance, layout == .explicit ? .segmentIds : .segmentLengths]
            throw MoeDataError("\(origin()): rows need the columns \(wanted.map(\.name).joined(separator: " and "))")
        }
        let lengths =
            layout == .explicit
            ? try PackedRowColumns.runLengths(try sample.array(segmentColumn, of: .uint16), origin)
            : try PackedRowColumns.nonEmpty(try sample.array(segmentColumn, of: .uint16), origin)
        guard lengths.reduce(0, +) <= tokens.count else {
            throw MoeDataError("\(origin()): segments of \(lengths) tokens do not fit a row of \(tokens.count)")
        }
        let segments: [SegmentProvenance]
        do {
            var reader = ProvenanceReader(sample.column(provenance))
            segments = try reader.segments()
        } catch {
            throw MoeDataError("\(origin()): column 'provenance' cannot be read (\(error))")
        }
        return PackedRowView(tokens: tokens, segmentLengths: lengths, segments: segments, place: place)
    }

    /// The explicit layout's segment lengths: `segment_ids` must be 1, 2, ... in runs, then 0 (padding).
    static func runLengths(_ ids: LittleEndianArray, _ origin: () -> String) throws -> [Int] {
        var lengths: [Int] = []
        var i = 0
        let count = ids.count
        while i < count {
            let id = ids.uint16(i)
            if id == 0 { break }
            guard Int(id) == lengths.count + 1 else {
                throw MoeDataError(
                    "\(origin()): segment id \(id) at token \(i) does not follow segment \(lengths.count)")
            }
            let start = i
            i = PackedRowColumns.run(of: id, in: ids, from: i)
            lengths.append(i - start)
        }
        i = PackedRowColumns.run(of: 0, in: ids, from: i)
        guard i == count else {
            throw MoeDataError("\(origin()): segment id \(ids.uint16(i)) at token \(i) is inside the padding")
        }
        return lengths
    }

    /// The end of the run of `id` from `start`: sixteen ids at a time while all sixteen are `id`
    /// (segments are long runs), then one at a time.
    static func run(of id: UInt16, in ids: LittleEndianArray, from start: Int) -> Int {
        var i = start
        let sixteen = SIMD16<UInt16>(repeating: id.littleEndian)
        while i + 16 <= ids.count, ids.bytes.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self) == sixteen {
            i += 16
        }
        while i < ids.count, ids.uint16(i) == id { i += 1 }
        return i
    }

    /// The compact layout's segment lengths: none empty.
    static func nonEmpty(_ lengths: LittleEndianArray, _ origin: () -> String) throws -> [Int] {
        let out = (0..<lengths.count).map { Int(lengths.uint16($0)) }
        guard !out.contains(0) else { throw MoeDataError("\(origin()): an empty segment (lengths \(out))") }
        return out
    }
}
