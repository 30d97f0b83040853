import JSON

/// A tokenizer.json's `model` of type `BPE`, as written: the vocabulary, the merges in rank order,
/// and the options of the tokenizers library's BPE that change ids.
struct BPEModelFile: Sendable {
    /// Each piece and its id.
    var vocab: [(piece: String, id: UInt32)]
    /// The merges, rank 0 first.
    var merges: [(left: String, right: String)]
    var unkToken: String?
    var continuingSubwordPrefix: String?
    var endOfWordSuffix: String?
    var fuseUnknown: Bool
    var byteFallback: Bool
    /// A word that is a piece of the vocabulary is that piece, merges or not (Llama 3).
    var ignoreMerges: Bool

    init(_ model: TokenizerJSONObject) throws {
        if let dropout = model.fields["dropout"], dropout != .null, dropout != .int(0), dropout != .double(0) {
            throw model.unsupported("BPE dropout (random merges)", supported: "dropout null or 0")
        }
        unkToken = try model.optionalString("unk_token")
        continuingSubwordPrefix = try model.optionalString("continuing_subword_prefix")
        endOfWordSuffix = try model.optionalString("end_of_word_suffix")
        fuseUnknown = try model.bool("fuse_unk", default: false)
        byteFallback = try model.bool("byte_fallback", default: false)
        ignoreMerges = try model.bool("ignore_merges", default: false)
        guard case .object(let entries)? = model.fields["vocab"] else {
            throw model.error("\"vocab\" is not an object")
        }
        vocab = try entries.map { piece, id in
            guard let n = id.intValue, let id = UInt32(exactly: n), id < UInt32(Int32.max) else {
                throw model.error("vocab: the id of \(String(reflecting: piece)) is not a whole number below 2^31")
            }
            return (piece, id)
        }
        guard case .array(let list)? = model.fields["merges"] else { throw model.error("\"merges\" is not an array") }
        merges = try Self.merges(list, model)
    }

    /// Merges as pairs `["a", "b"]` (tokenizers 0.20 onwards) or strings `"a b"` (before; `#version`
    /// lines are skipped and do not count as ranks).
    private static func merges(_ list: [JSONValue], _ model: TokenizerJSONObject) throws -> [(String, String)] {
        var merges: [(String, String)] = []
        merges.reserveCapacity(list.count)
        for (i, item) in list.enumerated() {
            switch item {
            case .array(let pair):
                guard pair.count == 2, let left = pair[0].stringValue, let right = pair[1].stringValue else {
                    throw model.error("merges[\(i)] is not a pair of strings")
                }
                merges.append((left, right))
            case .string(let line):
                if line.hasPrefix("#version") { continue }
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw model.error("merges[\(i)] \(String(reflecting: line)) is not \"a b\"")
                }
                merges.append((String(parts[0]), String(parts[1])))
            default:
                throw model.error("merges[\(i)] is neither a pair nor a string")
            }
        }
        return merges
    }
}
