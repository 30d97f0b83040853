/// One node of the flattened schema tree (depth-first; the root first).
public struct SchemaElement: Sendable {
    public var name = ""
    /// The physical type's code; nil for a group.
    public var type: Int32?
    public var typeLength: Int32?
    public var repetition: Repetition?
    public var numChildren: Int32?
    public var convertedType: Int32?
    public var scale: Int32?
    public var precision: Int32?
    public var logicalType: LogicalType?
}
