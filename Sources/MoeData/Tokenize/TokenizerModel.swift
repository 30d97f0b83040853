/// What `Tokenizer` asks of a model file: its pieces and special ids, an encoder and a decoder.
/// A SentencePiece `.model` (`SentencePieceProcessor`) and a Hugging Face `tokenizer.json`
/// (`HuggingFaceTokenizer`) both answer it, so every stage works the same with either.
protocol TokenizerModel: AnyObject, Sendable {
    /// Ids are `0..<pieceCount` (a tokenizer.json may leave some unused).
    var pieceCount: Int { get }
    /// The special ids; negative when the model has no such piece.
    var eosId: Int32 { get }
    var padId: Int32 { get }
    var unkId: Int32 { get }
    /// The id of `piece`, or nil when the model has no such piece.
    func knownId(of piece: String) -> UInt32?
    /// The piece of a model id (`0..<pieceCount`; "" for an unused id).
    func piece(of id: Int32) -> String
    /// ModelProto's piece type: 0 normal or user-defined, 1 unknown, 2 control, 4 unused, 6 byte.
    func pieceType(of id: Int32) -> Int32
    func encode(utf8 bytes: UnsafeRawBufferPointer) throws -> [UInt32]
    /// Decodes model ids (every one below `pieceCount`) to text.
    func decode(_ ids: ArraySlice<UInt32>) throws -> String
}

extension SentencePieceProcessor: TokenizerModel {}
