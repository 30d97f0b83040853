/// A tokenizer.json's `pre_tokenizer`, in the forms the native encoder reproduces:
///
/// - `ByteLevel` (GPT-2, GPT-NeoX, OLMo): with `use_regex`, words cut by GPT-2's pattern; with
///   `add_prefix_space`, a space before each stretch of text that does not start with one;
/// - `Sequence` of `Split` (a known pattern, `Isolated`, not inverted) and `ByteLevel` without regex
///   and prefix space (Llama 3, Qwen2);
/// - `Metaspace` (SentencePiece-style models; `MetaspaceSpec`);
/// - none (each stretch of text is one word).
///
/// Anything else is refused with the component's name.
struct HuggingFacePreTokenizer: Sendable, Equatable {
    /// The pattern that cuts text into words (nil: each stretch of text is one word).
    var split: SplitPattern?
    /// Words are bytes written in GPT-2's alphabet of 256 characters (`ByteLevelAlphabet`).
    var byteLevel: Bool
    /// `ByteLevel`'s `add_prefix_space`.
    var addPrefixSpace: Bool
    var metaspace: MetaspaceSpec?

    static let supported =
        "ByteLevel; a Sequence of Split (the regex of GPT-2, Llama 3 or Qwen2, behavior Isolated, not inverted) "
        + "and ByteLevel (use_regex false, add_prefix_space false); Metaspace; none"

    init(split: SplitPattern?, byteLevel: Bool, addPrefixSpace: Bool, metaspace: MetaspaceSpec? = nil) {
        self.split = split
        self.byteLevel = byteLevel
        self.addPrefixSpace = addPrefixSpace
        self.metaspace = metaspace
    }

    init(_ object: TokenizerJSONObject?) throws {
        self.init(split: nil, byteLevel: false, addPrefixSpace: false)
        guard let object else { return }
        let steps = try object.type() == "Sequence" ? try object.objects("pretokenizers") : [object]
        switch steps.count {
        case 1 where try steps[0].type() == "Metaspace":
            metaspace = try MetaspaceSpec(steps[0])
        case 1:
            try readByteLevel(steps[0], afterSplit: false)
        case 2:
            split = try Self.splitPattern(steps[0])
            try readByteLevel(steps[1], afterSplit: true)
        default:
            throw object.unsupported("a pre_tokenizer of \(steps.count) steps", supported: Self.supported)
        }
    }

    private mutating func readByteLevel(_ object: TokenizerJSONObject, afterSplit: Bool) throws {
        let type = try object.type()
        guard type == "ByteLevel" else {
            throw object.unsupported(
                "pre_tokenizer \(type)\(afterSplit ? " after Split" : "")", supported: Self.supported)
        }
        byteLevel = true
        let useRegex = try object.bool("use_regex", default: true)
        let prefix = try object.bool("add_prefix_space", default: true)
        if afterSplit {
            guard !useRegex && !prefix else {
                throw object.unsupported(
                    "ByteLevel after Split with use_regex or add_prefix_space", supported: Self.supported)
            }
        } else {
            split = useRegex ? .gpt2 : nil
            addPrefixSpace = prefix
        }
    }

    private static func splitPattern(_ object: TokenizerJSONObject) throws -> SplitPattern {
        let type = try object.type()
        guard type == "Split" else {
            throw object.unsupported("pre_tokenizer \(type) before ByteLevel", supported: supported)
        }
        let behavior = try object.string("behavior")
        guard behavior == "Isolated", try !object.bool("invert", default: false) else {
            throw object.unsupported("Split with behavior \(behavior) (or inverted)", supported: supported)
        }
        guard let pattern = try object.object("pattern"), let regex = try pattern.optionalString("Regex") else {
            throw object.unsupported("Split on a plain string", supported: supported)
        }
        guard let known = SplitPattern(regex: regex) else {
            throw object.unsupported("Split with the regex \(String(reflecting: regex))", supported: supported)
        }
        return known
    }
}
