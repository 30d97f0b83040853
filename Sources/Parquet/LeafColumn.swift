/// One leaf (primitive) column of a file's schema, in the order of the column chunks of a row group.
public struct LeafColumn: Sendable {
    /// Names from the top-level field down to the leaf.
    public var path: [String]
    public var physicalType: PhysicalType
    /// Bytes per value of a FIXED_LEN_BYTE_ARRAY column.
    public var typeLength: Int
    public var maxDefinitionLevel: Int
    public var maxRepetitionLevel: Int
    public var logicalType: LogicalType?
    public var repetition: Repetition

    /// A top-level, non-repeated primitive column: one value or null per row. Only these are read.
    public var isFlat: Bool { path.count == 1 && maxRepetitionLevel == 0 }
    public var name: String { path.joined(separator: ".") }
}
