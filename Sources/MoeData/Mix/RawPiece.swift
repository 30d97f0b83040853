/// Where a run of raw tokens came from: `count` tokens of document `docId` starting at token
/// `offset` of that document. The mixer makes them as it cuts chunks; an example lists its
/// pieces in stream order.
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
