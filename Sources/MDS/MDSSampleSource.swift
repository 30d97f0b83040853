/// A shard whose samples can be read: decoded whole (`MDSShard`) or being decoded
/// (`MDSProgressiveShard`).
public protocol MDSSampleSource: Sendable {
    /// Sample `i` in column order.
    func sample(_ i: Int) throws -> [MDSValue]
    /// Throws if the shard's bytes turn out not to match index.json (checked once all are decoded).
    func verify() throws
}

extension MDSShard: MDSSampleSource {
    /// Checked before it was made.
    public func verify() throws {}
}

extension MDSProgressiveShard: MDSSampleSource {}
