/// A failed atomic write: the file, the step and the system's reason. Printed as MDS's I/O
/// errors always were ("I/O error: ...").
public struct AtomicFileError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "I/O error: \(message)" }
}
