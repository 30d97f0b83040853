/// One document of a source's token shards with its text read again from the source: what the
/// dedup stage hashes. `ordinal` is its canonical number in the source (the mixer's).
struct IngestedDocument: Sendable {
    let ordinal: Int
    let docId: String
    let tokens: Int
    let text: [UInt8]
}
