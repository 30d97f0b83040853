/// What `inspect --doc <source>:<doc_id>` says of a document: removed by the dedup stage, and why
/// (the surviving copy, the estimated Jaccard similarity, the evaluation passage), or not.
public enum DedupVerdict {
    public static func render(_ reference: String, catalog: Catalog) throws -> String {
        guard let colon = reference.firstIndex(of: ":") else {
            throw MoeDataError("--doc \(reference): expected <source>:<doc_id>, e.g. the_stack:data/a.jsonl:12")
        }
        let source = String(reference[..<colon])
        let docId = String(reference[reference.index(after: colon)...])
        guard try catalog.sourceState(source) != nil else {
            throw MoeDataError("--doc \(reference): the catalog has no source '\(source)'")
        }
        guard try catalog.value("dedup.signature") != nil else {
            return "\(reference): not removed (no dedup stage ran on this output)\n"
        }
        guard let row = try catalog.dedupRemoval(source: source, docId: docId) else {
            return "\(reference): not removed by dedup\n"
        }
        let kept = "\(row.keptSource):\(row.keptDocId)"
        let jaccard = row.jaccard.map { String(format: "%.3f", $0) } ?? ""
        switch (row.kind, row.removed) {
        case ("exact", _):
            return "\(reference): removed (exact duplicate, \(row.tokens) tokens) of \(kept), which is kept\n"
        case ("near", _):
            return "\(reference): removed (near duplicate, estimated Jaccard \(jaccard), \(row.tokens) tokens) of "
                + "\(kept), which is kept\n"
        case (_, true):
            return "\(reference): removed (contamination, \(row.tokens) tokens): shares an n-gram with the "
                + "evaluation passage \(row.keptDocId)\n"
        default:
            return "\(reference): kept, counted as contaminated (action: count): shares an n-gram with the "
                + "evaluation passage \(row.keptDocId)\n"
        }
    }
}
