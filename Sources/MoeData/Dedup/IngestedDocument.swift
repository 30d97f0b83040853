/// One document of a source's token shards, with its text read again from the source when the
/// stage needs it: what the dedup stage hashes. `ordinal` is its canonical number in the source
/// (the mixer's).
struct IngestedDocument: Sendable {
    let ordinal: Int
    let docId: String
    /// Its token ids, as the shards hold them (token-id shingles are cut from these).
    let tokenIds: [UInt32]
    /// Its text, or empty when the stage does not read texts (`DedupSpec.needsText`).
    let text: [UInt8]

    var tokens: Int { tokenIds.count }
}
