/// What a tokenizer.json's `Replace` normalizer replaces: any literal string, or one of the two regexes
/// that SentencePiece-style files (ours from `tokenizer export-hf`, and the converters' for T5) use to
/// drop extra spaces, matched by hand as Oniguruma matches them (`^` and `$` at line starts and ends).
enum ReplacePattern: Sendable {
    case literal([UInt8])
    /// `^ +| +$`: runs of spaces at the start of a line or the text, or at the end of one.
    case spacesAtLineEdges
    /// ` {2,}`: runs of two spaces or more.
    case spaceRuns

    static let supported = "Replace of a string, or of the regex \"^ +| +$\" or \" {2,}\""

    init?(regex: String) {
        switch regex {
        case "^ +| +$": self = .spacesAtLineEdges
        case " {2,}": self = .spaceRuns
        default: return nil
        }
    }

    /// `text` with every match (leftmost first, not overlapping) replaced by `content`, into `out`.
    func replace(_ text: [UInt8], with content: [UInt8], into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var i = 0
        switch self {
        case .literal(let pattern):
            guard !pattern.isEmpty else {
                out = text
                return
            }
            while i < text.count {
                if text[i] == pattern[0] && i + pattern.count <= text.count
                    && text[i..<(i + pattern.count)].elementsEqual(pattern)
                {
                    out.append(contentsOf: content)
                    i += pattern.count
                } else {
                    out.append(text[i])
                    i += 1
                }
            }
        case .spacesAtLineEdges, .spaceRuns:
            while i < text.count {
                guard text[i] == 0x20 else {
                    out.append(text[i])
                    i += 1
                    continue
                }
                var end = i
                while end < text.count && text[end] == 0x20 { end += 1 }
                let matches =
                    self == .spaceRuns
                    ? end - i >= 2
                    : i == 0 || text[i - 1] == 0x0A || end == text.count || text[end] == 0x0A
                if matches { out.append(contentsOf: content) } else { out.append(contentsOf: text[i..<end]) }
                i = end
            }
        }
    }
}

extension ReplacePattern: Equatable {}
