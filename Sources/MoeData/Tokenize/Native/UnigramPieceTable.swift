import Foundation

/// The pieces of a unigram model as libsentencepiece's `unigram::Model` loads them: trie keys and
/// ids, the unknown piece, the score range, the user-defined symbols and the byte pieces. Loading
/// refuses what would make the encoder wrong: empty or repeated pieces, two unknown pieces or
/// none, byte pieces without byte fallback, or byte fallback without all 256 byte pieces.
struct UnigramPieceTable {
    var unkId: Int32 = -1
    var minScore = Float.greatestFiniteMagnitude
    var maxScore = Float.leastNormalMagnitude  // C++ FLT_MIN, as libsentencepiece starts it
    /// Trie keys and their ids (-1 for unused pieces: a path in the trie, never a lattice node).
    var keys: [[UInt8]] = []
    var values: [Int32] = []
    var userKeys: [[UInt8]] = []
    /// Ids of `<0x00>`...`<0xFF>` when the model has byte fallback.
    var byteIds: [UInt32]?

    init(model: SentencePieceModelFile, path: String) throws {
        var seen = Set<[UInt8]>()
        var bytePieces = [UInt32?](repeating: nil, count: 256)
        for (i, p) in model.pieces.enumerated() {
            guard !p.piece.isEmpty else { throw MoeDataError("tokenizer model \(path): piece #\(i) is empty") }
            guard seen.insert(p.piece).inserted else {
                throw MoeDataError("tokenizer model \(path): piece #\(i) \"\(Self.text(p.piece))\" is already defined")
            }
            switch p.type {
            case .normal:
                minScore = min(minScore, p.score)
                maxScore = max(maxScore, p.score)
                keys.append(p.piece); values.append(Int32(i))
            case .userDefined:
                keys.append(p.piece); values.append(Int32(i))
                userKeys.append(p.piece)
            case .unused:
                // Still a path in libsentencepiece's trie, but never a lattice node.
                keys.append(p.piece); values.append(-1)
            case .unknown:
                guard unkId < 0 else {
                    throw MoeDataError("tokenizer model \(path): more than one unknown piece (#\(unkId) and #\(i))")
                }
                unkId = Int32(i)
            case .byte:
                guard model.byteFallback else {
                    throw MoeDataError(
                        "tokenizer model \(path): byte piece #\(i) although trainer_spec.byte_fallback is false")
                }
                guard let b = Self.byteValue(p.piece) else {
                    throw MoeDataError(
                        "tokenizer model \(path): byte piece #\(i) \"\(Self.text(p.piece))\" is not <0xNN>")
                }
                bytePieces[b] = UInt32(i)
            case .control:
                break
            }
        }
        guard unkId >= 0 else { throw MoeDataError("tokenizer model \(path) has no unknown piece") }
        guard !keys.isEmpty else { throw MoeDataError("tokenizer model \(path) has no normal pieces") }
        if model.byteFallback {
            let ids = bytePieces.compactMap { $0 }
            guard ids.count == 256 else {
                throw MoeDataError("tokenizer model \(path) has byte_fallback but \(ids.count) of the 256 byte pieces")
            }
            byteIds = ids
        }
    }

    private static func text(_ piece: [UInt8]) -> String { String(decoding: piece, as: UTF8.self) }

    /// The byte of a `<0xNN>` piece. Two hex digits exactly: Int(_:radix:) also takes a sign, so
    /// `<0x-1>` gave -1 and indexed the byte table out of range (found by fuzzing).
    static func byteValue(_ piece: [UInt8]) -> Int? {
        func hex(_ c: UInt8) -> Int? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(c - UInt8(ascii: "0"))
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(c - UInt8(ascii: "A")) + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(c - UInt8(ascii: "a")) + 10
            default: return nil
            }
        }
        guard piece.count == 6, piece.starts(with: Array("<0x".utf8)), piece[5] == UInt8(ascii: ">"),
            let high = hex(piece[3]), let low = hex(piece[4])
        else { return nil }
        return high << 4 | low
    }
}
