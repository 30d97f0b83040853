/// The best path ending at one byte offset of the normalized text: its score, where its last
/// piece starts, and that piece's id.
struct BestPathNode {
    var score: Float
    var startsAt: Int32
    var id: Int32
}
