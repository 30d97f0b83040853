import ArgumentParser
import MoeData

/// `--sentinels`: a whole number appended after the pieces, or `from_model`.
extension SentinelSource: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }

    public var defaultValueDescription: String { description }
}
