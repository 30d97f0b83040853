/// Finds added tokens in text as the tokenizers library does (`AddedVocabulary::find_matches`):
/// leftmost matches, the longest of those that start at the same byte (Aho-Corasick, leftmost-longest),
/// then `single_word`, `lstrip` and `rstrip` applied to each match.
struct AddedTokenMatcher: Sendable {
    /// A byte trie of the tokens' texts: children of each node, and the token a node ends.
    private var children: [[UInt8: Int32]] = [[:]]
    private var tokenAt: [Int32] = [-1]
    private var startsToken = [Bool](repeating: false, count: 256)
    let tokens: [HuggingFaceAddedToken]

    var isEmpty: Bool { tokens.isEmpty }

    /// `texts[i]` is what token `tokens[i]` is matched as (normalized tokens: their normalized text).
    init(_ tokens: [HuggingFaceAddedToken], texts: [[UInt8]]) {
        self.tokens = tokens
        for (index, text) in texts.enumerated() where !text.isEmpty {
            var node = 0
            for b in text {
                if let child = children[node][b] {
                    node = Int(child)
                } else {
                    children.append([:])
                    tokenAt.append(-1)
                    children[node][b] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            // A text twice: the library keeps one of them; the later, as its map does.
            tokenAt[node] = Int32(index)
            startsToken[Int(text[0])] = true
        }
    }

    /// A piece of text: either an added token (its id) or text to encode (`id` nil).
    struct Segment {
        var range: Range<Int>
        var id: UInt32?
    }

    /// The segments of `text`, in order: tokens and the text between them (empty segments left out).
    func segments(of text: UnsafeBufferPointer<UInt8>, into out: inout [Segment]) {
        out.removeAll(keepingCapacity: true)
        var offset = 0
        var p = 0
        while p < text.count {
            guard startsToken[Int(text[p])], let (end, index) = longestMatch(text, at: p) else {
                p += 1
                continue
            }
            defer { p = end }
            let token = tokens[index]
            var start = p
            var stop = end
            if token.singleWord {
                let before = WordCharacter.last(text, before: start).map { WordCharacter.isWord($0.scalar) } ?? false
                let after = WordCharacter.first(text, from: stop).map(WordCharacter.isWord) ?? false
                if before || after { continue }
            }
            if token.lstrip {
                var s = start
                while let (scalar, at) = WordCharacter.last(text, before: s), ScalarClass(of: scalar).isSpace { s = at }
                start = max(s, offset)
            }
            if token.rstrip {
                while let scalar = WordCharacter.first(text, from: stop), ScalarClass(of: scalar).isSpace {
                    stop += String(scalar).utf8.count
                }
            }
            if offset < start { out.append(Segment(range: offset..<start, id: nil)) }
            out.append(Segment(range: start..<stop, id: token.id))
            offset = stop
        }
        if offset < text.count { out.append(Segment(range: offset..<text.count, id: nil)) }
    }

    /// The longest token text at `p`: where it ends and which token it is.
    private func longestMatch(_ text: UnsafeBufferPointer<UInt8>, at p: Int) -> (end: Int, index: Int)? {
        var node = 0
        var found: (Int, Int)? = nil
        var i = p
        while i < text.count, let child = children[node][text[i]] {
            node = Int(child)
            i += 1
            if tokenAt[node] >= 0 { found = (i, Int(tokenAt[node])) }
        }
        return found
    }
}
