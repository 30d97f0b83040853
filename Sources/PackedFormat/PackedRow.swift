/// One packed training row: the per-token columns of one sample of `packed/` (see `PackedColumn`)
/// and where its segments came from. The build's packer makes it; the trainer, `inspect` and
/// `analyze` read it back with `init(sample:origin:withProvenance:)`.
public struct PackedRow: Sendable, Equatable, Codable {
    public var tokens: [UInt32]
    /// 1 where the token is a loss target.
    public var lossMask: [UInt8]
    /// 1, 2, ... per packed example; 0 on padding.
    public var segmentIds: [UInt16]
    /// Restart at 0 at each segment; 0 on padding.
    public var positions: [UInt16]
    /// 1 on a UL2 example's mode token and inputs.
    public var prefix: [UInt8]
    /// One entry per segment (the `provenance` column); empty when the reader did not ask for it.
    public var segments: [SegmentProvenance]
    /// "<shard file> row <i>" for a row read from disk, used in error messages; empty for a row made in memory.
    public var origin: String

    public init(
        tokens: [UInt32], lossMask: [UInt8], segmentIds: [UInt16], positions: [UInt16], prefix: [UInt8],
        segments: [SegmentProvenance] = [], origin: String = ""
    ) {
        self.tokens = tokens
        self.lossMask = lossMask
        self.segmentIds = segmentIds
        self.positions = positions
        self.prefix = prefix
        self.segments = segments
        self.origin = origin
    }

    /// Padding tokens: the positions of segment 0, all at the end of the row.
    public var padding: Int { segmentIds.reduce(0) { $1 == 0 ? $0 + 1 : $0 } }
}
