/// The model of a tokenizer.json as the native encoder runs it: one word at a time.
enum HuggingFaceModel: Sendable {
    case bpe(BPEModel)
    case unigram(UnigramModel)

    /// Appends the ids of `word` (UTF-8, as the pre-tokenizer cut it) to `ids`.
    @inline(__always)
    func encode(word text: UnsafePointer<UInt8>, count: Int, into ids: inout [UInt32], scratch: HuggingFaceScratch) {
        switch self {
        case .bpe(let bpe): bpe.encode(word: text, count: count, into: &ids, scratch: scratch.bpe)
        case .unigram(let unigram): unigram.encode(word: text, count: count, into: &ids, scratch: scratch.unigram)
        }
    }
}
