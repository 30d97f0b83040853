import Foundation
import JSON
import MDS

/// A packed row to and from one MDS sample, in either layout.
extension PackedRow {
    /// The `provenance` column: one object per segment.
    public var provenance: JSONValue { .array(segments.map(\.json)) }

    /// The row's values with its `phase`, in the explicit layout's stored (sorted) column order.
    public func values(phase: Int) -> [MDSValue] {
        stored(.explicit, phase: phase) { column in
            switch column {
            case .lossMask: .uint8s(lossMask)
            case .segmentIds: .uint16s(segmentIds)
            case .positions: .uint16s(positions)
            case .prefix: .uint8s(prefix)
            default: nil
            }
        }
    }

    /// The row's values in `layout`'s stored (sorted) column order, as the MDS writer takes them.
    /// - Throws: `PackedFormatError` when the row has no compact form (`CompactRow.init(compacting:)`).
    public func values(phase: Int, layout: PackedRowLayout) throws -> [MDSValue] {
        guard layout == .compact else { return values(phase: phase) }
        let compact = try CompactRow(compacting: self)
        return stored(.compact, phase: phase) { column in
            switch column {
            case .segmentLengths: .uint16s(compact.segmentLengths)
            case .prefixLengths: .uint16s(compact.prefixLengths)
            default: nil
            }
        }
    }

    /// `layout`'s columns in stored order: the shared ones, and `own` for the layout's own columns.
    /// (A switch per column, not a dictionary: this runs for every row a build writes.)
    private func stored(_ layout: PackedRowLayout, phase: Int, _ own: (PackedColumn) -> MDSValue?) -> [MDSValue] {
        layout.storedOrder.compactMap { column in
            switch column {
            case .tokens: .uint32s(tokens)
            case .phase: .int(Int64(phase))
            case .provenance: .json(provenance)
            default: own(column)
            }
        }
    }

    /// Decodes one sample of a packed shard (`MDSShard.sampleByName`) written in `layout`; a compact
    /// row comes back expanded (`CompactRow.expanded()`), so readers see the same row either way.
    /// `origin` names the row in errors. The provenance is decoded only `withProvenance` (the
    /// trainer does not need it); a missing `prefix` column of an explicit row reads as all 0.
    public init(
        sample: [String: MDSValue], layout: PackedRowLayout = .explicit, origin: String, withProvenance: Bool
    ) throws {
        let columns = SampleColumns(sample: sample, origin: origin)
        let tokens = try columns.uint32s(.tokens)
        let segments = withProvenance ? try columns.provenance() : []
        switch layout {
        case .explicit:
            let prefix =
                sample[PackedColumn.prefix.name] == nil
                ? [UInt8](repeating: 0, count: tokens.count) : try columns.uint8s(.prefix)
            self.init(
                tokens: tokens, lossMask: try columns.uint8s(.lossMask), segmentIds: try columns.uint16s(.segmentIds),
                positions: try columns.uint16s(.positions), prefix: prefix, segments: segments, origin: origin)
        case .compact:
            let compact = CompactRow(
                tokens: tokens, segmentLengths: try columns.uint16s(.segmentLengths),
                prefixLengths: try columns.uint16s(.prefixLengths))
            self = try compact.expanded(segments: segments, origin: origin)
        }
    }

    /// How errors name row `row` of the shard `entry` of the dataset in `directory`: "<shard file> row <row>".
    public static func origin(directory: URL, shard entry: MDSShardEntry, row: Int) -> String {
        "\(directory.appendingPathComponent(entry.zipBasename ?? entry.rawBasename).path) row \(row)"
    }

    /// The sample's `phase` column (0-based), nil when it has none.
    public static func phase(of sample: [String: MDSValue]) -> Int? {
        sample[PackedColumn.phase.name]?.int.map { Int($0) }
    }
}

/// Typed reads of one sample's columns, each error naming the row and the column.
private struct SampleColumns {
    let sample: [String: MDSValue]
    let origin: String

    func column<V>(_ column: PackedColumn, _ kind: String, _ get: (MDSValue) -> V?) throws -> V {
        guard let value = sample[column.name], let v = get(value) else {
            throw PackedFormatError("\(origin): column '\(column.name)' missing or not \(kind)")
        }
        return v
    }

    func uint32s(_ c: PackedColumn) throws -> [UInt32] { try column(c, "ndarray:uint32") { $0.uint32s } }
    func uint16s(_ c: PackedColumn) throws -> [UInt16] { try column(c, "ndarray:uint16") { $0.uint16s } }
    func uint8s(_ c: PackedColumn) throws -> [UInt8] { try column(c, "ndarray:uint8") { $0.uint8s } }

    func provenance() throws -> [SegmentProvenance] {
        let entries = try column(.provenance, "a JSON array") { $0.json?.arrayValue }
        return try entries.map { entry in
            guard let segment = SegmentProvenance(json: entry) else {
                throw PackedFormatError(
                    "\(origin): column 'provenance' has an entry that is not "
                        + "{segment, source, objective, denoiser, docs}: \(entry.encoded())")
            }
            return segment
        }
    }
}
