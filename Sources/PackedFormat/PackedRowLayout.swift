/// How a packed row's per-token columns are stored (`packed_format` in the manifest, `layout` in
/// `moe-data.json`). Both are MDS datasets with the same `tokens`, `phase` and `provenance` columns.
public enum PackedRowLayout: String, CaseIterable, Sendable, Codable {
    /// `loss_mask`, `segment_ids`, `positions` and `prefix` as per-token columns: any MDS reader uses
    /// them as they are. 10 bytes per token, raw.
    case explicit
    /// Two integers per segment (`segment_lengths`, `prefix_lengths`) instead of the four per-token
    /// columns: 4 bytes per token, raw. `CompactRow.expanded()` turns a row back into the explicit one.
    case compact

    /// The columns of a row in this layout.
    public var columns: [PackedColumn] {
        switch self {
        case .explicit: [.tokens, .lossMask, .segmentIds, .positions, .prefix, .phase, .provenance]
        case .compact: [.tokens, .segmentLengths, .prefixLengths, .phase, .provenance]
        }
    }

    /// The columns in MDS's stored order (sorted by name), as `MDSWriter.write(_: [MDSValue])` takes them.
    /// Computed once per layout: the writer asks for it for every row.
    public var storedOrder: [PackedColumn] {
        switch self {
        case .explicit: Self.explicitStoredOrder
        case .compact: Self.compactStoredOrder
        }
    }

    private static let explicitStoredOrder = PackedRowLayout.explicit.columns.sorted { $0.name < $1.name }
    private static let compactStoredOrder = PackedRowLayout.compact.columns.sorted { $0.name < $1.name }

    /// The columns a reader cannot do without (an explicit row's `prefix` reads as all 0 when absent).
    public var required: [PackedColumn] {
        switch self {
        case .explicit: [.tokens, .lossMask, .segmentIds, .positions]
        case .compact: [.tokens, .segmentLengths, .prefixLengths]
        }
    }

    /// The layouts' names, for messages: "explicit, compact".
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
