/// The `Split` regex patterns the native pre-tokenizer knows, each scanned by hand
/// (`SplitScanner`) rather than by a regex engine. A `tokenizer.json` with any other pattern is
/// refused by name.
enum SplitPattern: String, CaseIterable, Sendable {
    /// GPT-2's, also the `ByteLevel` pre-tokenizer's own with `use_regex` (GPT-2, GPT-NeoX, OLMo).
    case gpt2
    /// Llama 3's (also cl100k's: OLMo 2).
    case llama3
    /// Qwen2's: Llama 3's with one digit per piece.
    case qwen2

    var regex: String {
        switch self {
        case .gpt2: #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .llama3:
            #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"# + Self.llama3Tail
        case .qwen2:
            #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"# + Self.llama3Tail
        }
    }

    /// What Llama 3's and Qwen2's patterns end with.
    private static let llama3Tail = #"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The pattern whose regex is exactly `regex`, or nil.
    init?(regex: String) {
        guard let known = SplitPattern.allCases.first(where: { $0.regex == regex }) else { return nil }
        self = known
    }
}
