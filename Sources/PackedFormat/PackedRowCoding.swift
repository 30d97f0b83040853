import Foundation
import JSON
import MDS

/// A packed row to and from one MDS sample.
extension PackedRow {
    /// The `provenance` column: one object per segment.
    public var provenance: JSONValue { .array(segments.map(\.json)) }

    /// The row's values with its `phase`, in the MDS writer's (sorted) column order.
    public func values(phase: Int) -> [MDSValue] {
        PackedColumn.storedOrder.map { column in
            switch column {
            case .tokens: .uint32s(tokens)
            case .lossMask: .uint8s(lossMask)
            case .segmentIds: .uint16s(segmentIds)
            case .positions: .uint16s(positions)
            case .prefix: .uint8s(prefix)
            case .phase: .int(Int64(phase))
            case .provenance: .json(provenance)
            }
        }
    }

    /// Decodes one sample of a packed shard (`MDSShard.sampleByName`). `origin` names the row in
    /// errors. The provenance is decoded only `withProvenance` (the trainer does not need it);
    /// a missing `prefix` column reads as all 0.
    public init(sample: [String: MDSValue], origin: String, withProvenance: Bool) throws {
        func column<V>(_ column: PackedColumn, _ kind: String, _ get: (MDSValue) -> V?) throws -> V {
            guard let value = sample[column.name], let v = get(value) else {
                throw PackedFormatError("\(origin): column '\(column.name)' missing or not \(kind)")
            }
            return v
        }
        let tokens = try column(.tokens, "ndarray:uint32") { $0.uint32s }
        let prefix =
            sample[PackedColumn.prefix.name] == nil
            ? [UInt8](repeating: 0, count: tokens.count) : try column(.prefix, "ndarray:uint8") { $0.uint8s }
        var segments: [SegmentProvenance] = []
        if withProvenance {
            let entries = try column(.provenance, "a JSON array") { $0.json?.arrayValue }
            segments = try entries.map { entry in
                guard let segment = SegmentProvenance(json: entry) else {
                    throw PackedFormatError(
                        "\(origin): column 'provenance' has an entry that is not "
                            + "{segment, source, objective, denoiser, docs}: \(entry.encoded())")
                }
                return segment
            }
        }
        self.init(
            tokens: tokens, lossMask: try column(.lossMask, "ndarray:uint8") { $0.uint8s },
            segmentIds: try column(.segmentIds, "ndarray:uint16") { $0.uint16s },
            positions: try column(.positions, "ndarray:uint16") { $0.uint16s },
            prefix: prefix, segments: segments, origin: origin)
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
