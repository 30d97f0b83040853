import Foundation
import MDS

/// The packed training rows `moe-data build` writes to `<output>/packed/` (docs/formats.md):
/// one MDS sample per row.
public enum PackedRows {
    public static let directoryName = "packed"
    public static let metadataFile = "moe-data.json"

    /// Fixed-size columns when every phase has the same row length (the usual case), else
    /// variable-size ones.
    public static func columns(rowLength: Int?) -> [MDSColumn] {
        [
            MDSColumn("tokens", .ndarray(.uint32, count: rowLength)),
            MDSColumn("loss_mask", .ndarray(.uint8, count: rowLength)),
            MDSColumn("segment_ids", .ndarray(.uint16, count: rowLength)),
            MDSColumn("positions", .ndarray(.uint16, count: rowLength)),
            MDSColumn("prefix", .ndarray(.uint8, count: rowLength)),
            MDSColumn("phase", .int),
            MDSColumn("provenance", .json),
        ]
    }

    /// The row's values in the writer's (sorted) column order.
    static func values(_ row: PackedRow, phase: Int) -> [MDSValue] {
        // Sorted: loss_mask, phase, positions, prefix, provenance, segment_ids, tokens
        [.uint8s(row.lossMask), .int(Int64(phase)), .uint16s(row.positions), .uint8s(row.prefix), .json(row.provenance),
         .uint16s(row.segmentIds), .uint32s(row.tokens)]
    }
}
