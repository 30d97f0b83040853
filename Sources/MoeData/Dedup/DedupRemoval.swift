/// One document the dedup stage removes (or, for contamination that is only counted, flags): why,
/// and the document it duplicated (the survivor) or the evaluation passage it shares an n-gram with.
struct DedupRemoval: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case exact, near, contamination
    }

    let key: DocumentKey
    let kind: Kind
    /// The surviving copy (exact, near).
    let kept: DocumentKey?
    /// The evaluation passage (contamination), an index into `EvaluationNgrams.passages`.
    let passage: Int?
    /// The MinHash estimate of the Jaccard similarity with the survivor (near), 1 for exact copies.
    let jaccard: Double?
    /// False for contamination that is only counted (`action: count`): the mixer still emits it.
    let removed: Bool
}
