/// Where a run of raw tokens came from: `count` tokens of document `docId` starting at token
/// `offset` of that document. The mixer cuts documents into pieces, an example lists its pieces in
/// stream order, and a packed row's provenance keeps them per segment (its `docs` entries).
public struct RawPiece: Sendable, Equatable, Codable {
    public var docId: String
    public var offset: Int
    public var count: Int

    public init(docId: String, offset: Int, count: Int) {
        self.docId = docId
        self.offset = offset
        self.count = count
    }
}
