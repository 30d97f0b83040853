/// The ingest's tokenize step: a batch's document texts to token ids on `jobs` threads. The ids
/// come back in document order, so what is written never depends on `jobs`.
struct TokenizeStep {
    let tokenizer: Tokenizer
    let jobs: Int

    /// The ids of each document of `batch`, in order (skip events have none).
    func encode(_ batch: [RecordEvent]) throws -> [[UInt32]] {
        var texts: [[UInt8]] = []
        for case .document(let d) in batch { texts.append(d.text) }
        return try tokenizer.encodeBatch(utf8: texts, jobs: jobs)
    }
}
