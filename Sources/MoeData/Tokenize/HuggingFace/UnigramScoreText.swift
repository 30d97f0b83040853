import Foundation
import JSON

/// The scores of a tokenizer.json's Unigram vocabulary as the tokenizers library reads them
/// (`SerdeFloat`), which needs each number's text: the file is walked again down to
/// `model.vocab`, keeping the text of the second item of each `[piece, score]`.
enum UnigramScoreText {
    /// The scores in vocabulary order, or nil when the file is not laid out as expected.
    static func scores(in data: Data) -> [Double]? {
        data.withUnsafeBytes { raw -> [Double]? in
            var parser = JSONParser(raw)
            guard enter(&parser, key: "model"), enter(&parser, key: "vocab"), take(&parser, "[") else { return nil }
            var scores: [Double] = []
            parser.skipWhitespace()
            if take(&parser, "]") { return scores }
            while true {
                guard take(&parser, "["), (try? parser.skipValue()) != nil, take(&parser, ",") else { return nil }
                parser.skipWhitespace()
                let start = parser.pos
                guard (try? parser.skipValue()) != nil else { return nil }
                let bytes = Array(raw[start..<parser.pos])
                guard let score = SerdeFloat.parse(bytes[...]), take(&parser, "]") else { return nil }
                scores.append(score)
                if take(&parser, ",") { continue }
                return take(&parser, "]") ? scores : nil
            }
        }
    }

    /// Moves into the value of `key` of the object at the cursor (its other keys skipped).
    private static func enter(_ parser: inout JSONParser, key: String) -> Bool {
        guard take(&parser, "{") else { return false }
        while true {
            parser.skipWhitespace()
            guard parser.peekByte() == UInt8(ascii: "\""), let name = try? parser.parseString(), take(&parser, ":")
            else { return false }
            if name == key { return true }
            guard (try? parser.skipValue()) != nil else { return false }
            if !take(&parser, ",") { return false }
        }
    }

    /// Consumes `symbol` (after whitespace) if it is next.
    private static func take(_ parser: inout JSONParser, _ symbol: Character) -> Bool {
        parser.skipWhitespace()
        guard let ascii = symbol.asciiValue, parser.peekByte() == ascii else { return false }
        parser.advance(1)
        return true
    }
}
