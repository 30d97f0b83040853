/// A packed dataset that this version cannot read: `description` is one sentence naming the file,
/// the column or key, and what is wrong. The pipeline and the trainer wrap it in their own error.
public struct PackedFormatError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
