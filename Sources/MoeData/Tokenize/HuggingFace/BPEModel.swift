/// The tokenizers library's BPE model (`models/bpe`), built from a `BPEModelFile` for the native
/// encoder: a word (one piece of pre-tokenized text) becomes one id per character, or the byte
/// fallback pieces `<0xXX>`, or the unknown piece, then pairs merge by rank, the lowest first and the
/// leftmost of equal ranks (`Word::merge_all`), until no pair of neighbours merges.
///
/// Byte-level models (`ByteLevel` pre-tokenizer) spell words in GPT-2's alphabet: each byte of
/// the text is one character (`ByteLevelAlphabet`), so a word's initial ids come from a table of
/// 256 ids.
final class BPEModel: Sendable {
    /// Ids by the UTF-8 of the piece as the file spells it.
    let ids: ByteStringMap
    let merges: PairRankTable
    let byteLevel: Bool
    /// Byte-level models whose every byte character is a piece, with no subword prefix or
    /// end-of-word suffix: the id of each byte's character (else nil: the general path).
    let byteIds: [UInt32]?
    let unknownId: UInt32?
    let fuseUnknown: Bool
    /// The ids of `<0x00>`...`<0xFF>` when `byte_fallback` (`UInt32.max` for a missing one).
    let fallbackIds: [UInt32]?
    let ignoreMerges: Bool
    let prefix: [UInt8]
    let suffix: [UInt8]

    init(_ file: BPEModelFile, byteLevel: Bool, component: TokenizerJSONObject) throws {
        var ids = ByteStringMap(minimumCapacity: file.vocab.count)
        for (piece, id) in file.vocab { ids.set(Array(piece.utf8), to: UInt64(id)) }
        func id(_ piece: String) -> UInt32? { ids.value(Array(piece.utf8)).map { UInt32($0) } }
        self.byteLevel = byteLevel
        prefix = Array((file.continuingSubwordPrefix ?? "").utf8)
        suffix = Array((file.endOfWordSuffix ?? "").utf8)
        var merges = PairRankTable(capacity: file.merges.count)
        for (rank, merge) in file.merges.enumerated() {
            // The merged piece is the left one and the right one without the subword prefix's bytes.
            let right = Array(merge.right.utf8)
            let joined = Array(merge.left.utf8) + right.dropFirst(prefix.count)
            guard let left = id(merge.left), let rightId = id(merge.right), let merged = ids.value(joined) else {
                throw component.error(
                    "merges[\(rank)] (\(String(reflecting: merge.left)), \(String(reflecting: merge.right))) names "
                        + "a piece that is not in the vocabulary; the tokenizers library refuses this file too")
            }
            merges.set(left, rightId, rank: UInt32(rank), merged: UInt32(merged))
        }
        self.merges = merges
        if let unk = file.unkToken {
            guard let unkId = id(unk) else {
                throw component.error("unk_token \(String(reflecting: unk)) is not in the vocabulary")
            }
            unknownId = unkId
        } else {
            unknownId = nil
        }
        fuseUnknown = file.fuseUnknown
        ignoreMerges = file.ignoreMerges
        fallbackIds =
            file.byteFallback
            ? (0..<256).map { id(Self.fallbackPiece(UInt8($0))) ?? UInt32.max } : nil
        let byteCharacterIds = ByteLevelAlphabet.utf8.map { ids.value($0).map { UInt32($0) } }
        byteIds =
            byteLevel && prefix.isEmpty && suffix.isEmpty && byteCharacterIds.allSatisfy({ $0 != nil })
            ? byteCharacterIds.map { $0 ?? 0 } : nil
        self.ids = ids
    }

    /// `<0x41>`: the byte fallback piece of a byte, as the library spells it (`{:#04X}`).
    static func fallbackPiece(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }

    /// The id of the piece spelled `text` (UTF-8, as in the file), or nil.
    @inline(__always)
    func id(_ text: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard let base = text.baseAddress else { return nil }
        return ids.value(base, text.count).map { UInt32(truncatingIfNeeded: $0) }
    }
}
