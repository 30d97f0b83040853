import Foundation
import JSON

/// A Hugging Face `tokenizer.json`, read from the file (no hub access) and checked: every component
/// that changes ids is one the native encoder reproduces exactly, else reading fails naming it.
///
/// Components read: `normalizer` (`HuggingFaceNormalizer`), `pre_tokenizer`
/// (`HuggingFacePreTokenizer`), `model` (`HuggingFaceModelFile`: BPE or Unigram), `added_tokens`,
/// and the post-processor for its end-of-sequence token. `truncation` and `padding` are ignored
/// (moe-data never truncates or pads a document), and so is `decoder` (`HuggingFaceTokenizer`
/// decodes by the model's alphabet).
struct HuggingFaceTokenizerFile: Sendable {
    let path: String
    let normalizer: HuggingFaceNormalizer
    let preTokenizer: HuggingFacePreTokenizer
    let model: HuggingFaceModelFile
    /// In the order the file lists them, with the ids the library gives them.
    let addedTokens: [HuggingFaceAddedToken]
    /// The token the post-processor appends after a sequence (TemplateProcessing, RoBERTa, BERT), if any.
    let postProcessorEOS: String?
    /// `padding.pad_token`, if the file pads.
    let padToken: String?

    /// True when `data` looks like a tokenizer.json rather than a SentencePiece model (a protobuf):
    /// its first byte that is not whitespace opens a JSON object.
    static func looksLikeJSON(_ data: Data) -> Bool {
        data.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
    }

    init(data: Data, path: String) throws {
        self.path = path
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw MoeDataError("tokenizer.json \(path) is not valid JSON: \(error)")
        }
        let file = try TokenizerJSONObject(value, path: path, component: "the file")
        if let version = try file.optionalString("version"), version != "1.0" {
            throw file.error("version \(version) is not 1.0, the format the tokenizers library reads")
        }
        guard let modelObject = try file.object("model") else { throw file.error("\"model\" is missing") }
        model = try HuggingFaceModelFile(modelObject, data: data)
        normalizer = try HuggingFaceNormalizer(try file.object("normalizer"))
        preTokenizer = try HuggingFacePreTokenizer(try file.object("pre_tokenizer"))
        addedTokens = try Self.addedTokens(file, model: model)
        postProcessorEOS = try Self.endOfSequence(try file.object("post_processor"))
        padToken = try file.object("padding")?.optionalString("pad_token")
    }

    /// `added_tokens`, with the ids the tokenizers library gives them (`AddedVocabulary::add_tokens`):
    /// a token the model has keeps the model's id; the others count up from the vocabulary's size.
    private static func addedTokens(_ file: TokenizerJSONObject, model: HuggingFaceModelFile) throws
        -> [HuggingFaceAddedToken]
    {
        let modelIds = Dictionary(model.vocab.map { ($0.piece, $0.id) }, uniquingKeysWith: { _, last in last })
        var byContent: [String: UInt32] = [:]
        var tokens: [HuggingFaceAddedToken] = []
        for object in try file.objects("added_tokens") {
            var token = try HuggingFaceAddedToken(object, id: 0)
            guard !token.content.isEmpty else { continue }
            if let id = byContent[token.content] ?? modelIds[token.content] {
                token.id = id
            } else {
                let size = UInt32(model.count)
                let highest = byContent.values.max()
                token.id = highest.map { $0 >= size || size == 0 ? $0 + 1 : size } ?? size
            }
            if let same = tokens.firstIndex(where: { $0.content == token.content }) { tokens.remove(at: same) }
            byContent[token.content] = token.id
            tokens.append(token)
        }
        return tokens
    }

    /// The special token the post-processor puts after the sequence (`$A`), if any.
    private static func endOfSequence(_ processor: TokenizerJSONObject?) throws -> String? {
        guard let processor else { return nil }
        switch try processor.type() {
        case "TemplateProcessing":
            guard case .array(let items)? = processor.fields["single"] else { return nil }
            guard let sequence = items.firstIndex(where: { $0["Sequence"] != nil }) else { return nil }
            return items[(sequence + 1)...].lazy.compactMap { $0["SpecialToken"]?["id"]?.stringValue }.first
        case "RobertaProcessing", "BertProcessing":
            return processor.fields["sep"]?.arrayValue?.first?.stringValue
        case "Sequence":
            for step in try processor.objects("processors") {
                if let eos = try endOfSequence(step) { return eos }
            }
            return nil
        default:
            return nil
        }
    }
}
