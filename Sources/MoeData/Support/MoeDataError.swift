/// A user-facing error of the pipeline. `description` is what the CLI prints: it names the
/// file (and line, offset or key) and says what is wrong and, where possible, what would be right.
public struct MoeDataError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
