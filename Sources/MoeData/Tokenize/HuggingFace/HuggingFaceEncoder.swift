/// Encodes text as the tokenizers library's `Tokenizer::encode(text, add_special_tokens: false)` does
/// for a checked `HuggingFaceTokenizerFile` (`AddedVocabulary::extract_and_normalize`, then the
/// pre-tokenizer and the model on each piece):
///
/// 1. added tokens that are not `normalized` are cut out of the text as given;
/// 2. each stretch between them is normalized, and the `normalized` added tokens cut out of that;
/// 3. each remaining stretch gets `ByteLevel`'s prefix space and is cut into words by the Split
///    pattern, or gets `Metaspace`'s `▁`s and is cut before each, and each word is encoded by the model
///    (BPE or Unigram).
///
/// Text that is not valid UTF-8 is first decoded as Swift and Python decode it (each maximal
/// invalid sequence becomes U+FFFD). Thread-safe: the tables are immutable and per-call buffers come
/// from a pool.
final class HuggingFaceEncoder: Sendable {
    let normalizer: HuggingFaceNormalizer
    let preTokenizer: HuggingFacePreTokenizer
    let model: HuggingFaceModel
    /// Tokens matched in the text as given / in the normalized text.
    let rawTokens: AddedTokenMatcher
    let normalizedTokens: AddedTokenMatcher
    private let pool = HuggingFaceScratch.Pool()

    init(_ file: HuggingFaceTokenizerFile, model: HuggingFaceModel) {
        normalizer = file.normalizer
        preTokenizer = file.preTokenizer
        self.model = model
        let raw = file.addedTokens.filter { !$0.normalized }
        rawTokens = AddedTokenMatcher(raw, texts: raw.map { Array($0.content.utf8) })
        let normalized = file.addedTokens.filter(\.normalized)
        let scratch = NormalizerScratch()
        normalizedTokens = AddedTokenMatcher(
            normalized,
            texts: normalized.map { token in
                var out: [UInt8] = []
                let content = Array(token.content.utf8)
                content.withUnsafeBufferPointer { file.normalizer.normalize($0, into: &out, scratch: scratch) }
                return out
            })
    }

    func encode(utf8 text: UnsafeRawBufferPointer) -> [UInt32] {
        let scratch = pool.take()
        defer { pool.give(scratch) }
        var ids: [UInt32] = []
        ids.reserveCapacity(text.count / 3)
        let bytes = text.bindMemory(to: UInt8.self)
        if UTF8Validation.isValid(bytes) {
            encode(bytes, into: &ids, scratch)
        } else {
            scratch.repaired = Array(String(decoding: bytes, as: UTF8.self).utf8)
            let repaired = scratch.repaired
            repaired.withUnsafeBufferPointer { encode($0, into: &ids, scratch) }
        }
        return ids
    }

    private func encode(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [UInt32], _ scratch: HuggingFaceScratch) {
        rawTokens.segments(of: text, into: &scratch.segments)
        let segments = scratch.segments
        for segment in segments {
            if let id = segment.id {
                ids.append(id)
                continue
            }
            let stretch = UnsafeBufferPointer(rebasing: text[segment.range])
            let atStart = segment.range.lowerBound == 0
            if normalizer.isIdentity && normalizedTokens.isEmpty {
                encodeStretch(stretch, atStart: atStart, into: &ids, scratch)
                continue
            }
            normalizer.normalize(stretch, into: &scratch.normalized, scratch: scratch.normalizer)
            let normalized = scratch.normalized
            normalized.withUnsafeBufferPointer { normalized in
                normalizedTokens.segments(of: normalized, into: &scratch.normalizedSegments)
                for inner in scratch.normalizedSegments {
                    if let id = inner.id {
                        ids.append(id)
                    } else {
                        encodeStretch(
                            UnsafeBufferPointer(rebasing: normalized[inner.range]),
                            atStart: atStart && inner.range.lowerBound == 0, into: &ids, scratch)
                    }
                }
            }
        }
    }

    /// The pre-tokenizer and the model on one stretch of normalized text between added tokens
    /// (`atStart`: the stretch begins the text, for Metaspace's `first`).
    private func encodeStretch(
        _ stretch: UnsafeBufferPointer<UInt8>, atStart: Bool, into ids: inout [UInt32], _ scratch: HuggingFaceScratch
    ) {
        guard let base = stretch.baseAddress, stretch.count > 0 else { return }
        if let metaspace = preTokenizer.metaspace {
            metaspace.apply(stretch, atStart: atStart, into: &scratch.prefixed)
            let replaced = scratch.prefixed
            replaced.withUnsafeBufferPointer { text in
                guard let start = text.baseAddress else { return }
                var i = 0
                while i < text.count {
                    let end = metaspace.wordEnd(text, from: i)
                    word(start + i, end - i, into: &ids, scratch)
                    i = end
                }
            }
        } else if preTokenizer.addPrefixSpace && stretch[0] != 0x20 {
            scratch.prefixed.removeAll(keepingCapacity: true)
            scratch.prefixed.append(0x20)
            scratch.prefixed.append(contentsOf: stretch)
            let prefixed = scratch.prefixed
            prefixed.withUnsafeBufferPointer { text in
                if let start = text.baseAddress { words(start, text.count, into: &ids, scratch) }
            }
        } else {
            words(base, stretch.count, into: &ids, scratch)
        }
    }

    /// The Split pattern's words of a stretch (or the stretch as one word), each encoded by the model.
    private func words(
        _ text: UnsafePointer<UInt8>, _ count: Int, into ids: inout [UInt32], _ scratch: HuggingFaceScratch
    ) {
        guard let pattern = preTokenizer.split else {
            word(text, count, into: &ids, scratch)
            return
        }
        let scanner = SplitScanner(text: text, end: count)
        var i = 0
        while i < count {
            let end = scanner.pieceEnd(from: i, pattern: pattern)
            word(text + i, end - i, into: &ids, scratch)
            i = end
        }
    }

    @inline(__always)
    private func word(
        _ text: UnsafePointer<UInt8>, _ count: Int, into ids: inout [UInt32], _ scratch: HuggingFaceScratch
    ) {
        model.encode(word: text, count: count, into: &ids, scratch: scratch)
    }
}
