import MDS

/// The columns of a packed row, one MDS sample per row (the README's "Packed rows" format). This
/// is the only place their names and types are written; writers and readers go through it.
/// `PackedRowLayout` says which of them a row has.
public enum PackedColumn: String, CaseIterable, Sendable {
    /// Token ids, padding (id 0) at the end.
    case tokens
    /// 1 where the token is a loss target.
    case lossMask = "loss_mask"
    /// 1, 2, ... per packed example; 0 on padding.
    case segmentIds = "segment_ids"
    /// Restart at 0 at each segment; 0 on padding.
    case positions
    /// 1 on a UL2 example's mode token and inputs.
    case prefix
    /// Compact layout: tokens in each segment, in order (their sum is the row's non-padding tokens).
    case segmentLengths = "segment_lengths"
    /// Compact layout: each segment's first tokens with `prefix` 1 (a UL2 example's mode token and
    /// inputs; 0 for causal LM); the segment's other tokens are its loss targets.
    case prefixLengths = "prefix_lengths"
    /// The mixture phase the row belongs to (0-based).
    case phase
    /// One object per segment: source, objective, denoiser and documents (see `SegmentProvenance`).
    case provenance

    public var name: String { rawValue }

    /// The column's MDS encoding; per-token columns are fixed-size when every row has `rowLength`
    /// tokens (one row length for the whole build, the usual case), else variable-size. The compact
    /// layout's per-segment columns are always variable-size.
    public func encoding(rowLength: Int?) -> MDSEncoding {
        switch self {
        case .tokens: .ndarray(.uint32, count: rowLength)
        case .lossMask, .prefix: .ndarray(.uint8, count: rowLength)
        case .segmentIds, .positions: .ndarray(.uint16, count: rowLength)
        case .segmentLengths, .prefixLengths: .ndarray(.uint16, count: nil)
        case .phase: .int
        case .provenance: .json
        }
    }

    /// Every column of `layout`, for the writer.
    public static func columns(rowLength: Int?, layout: PackedRowLayout = .explicit) -> [MDSColumn] {
        layout.columns.map { MDSColumn($0.name, $0.encoding(rowLength: rowLength)) }
    }
}
