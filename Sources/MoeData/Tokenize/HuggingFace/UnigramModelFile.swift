import Foundation
import JSON

/// A tokenizer.json's `model` of type `Unigram`, as written: each piece with its score (its id is its
/// place in the list; the score as the library reads the file, `UnigramScoreText`), the unknown piece,
/// and byte fallback.
struct UnigramModelFile: Sendable {
    var pieces: [(piece: String, score: Double)]
    var unkId: Int
    var byteFallback: Bool

    /// `data` is the whole file, whose score texts are read again.
    init(_ model: TokenizerJSONObject, data: Data) throws {
        guard case .array(let list)? = model.fields["vocab"] else { throw model.error("\"vocab\" is not an array") }
        pieces = try list.enumerated().map { i, item in
            guard case .array(let pair) = item, pair.count == 2, let piece = pair[0].stringValue, !piece.isEmpty,
                let score = Self.number(pair[1])
            else { throw model.error("vocab[\(i)] is not a pair of a non-empty piece and a score") }
            return (piece, score)
        }
        guard let unk = model.fields["unk_id"]?.intValue, unk >= 0, unk < pieces.count else {
            // The library fails on the first character no piece covers; refused here rather than at a
            // document deep into an ingest.
            throw model.unsupported("a Unigram model without unk_id", supported: "unk_id set")
        }
        unkId = Int(unk)
        if let scores = UnigramScoreText.scores(in: data), scores.count == pieces.count {
            for i in pieces.indices { pieces[i].score = scores[i] }
        }
        byteFallback = try model.bool("byte_fallback", default: false)
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
}
