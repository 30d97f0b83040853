/// A user-facing trainer error; the text names the file, row, step or flag and what is wrong.
public struct TrainError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
