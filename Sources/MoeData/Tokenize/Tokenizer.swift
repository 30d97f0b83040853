import FileSupport
import Foundation

/// The pipeline's one tokenizer: a SentencePiece model or a Hugging Face tokenizer.json
/// (`TokenizerModel`) plus `sentinelCount` T5-style sentinels, appended after its pieces or the
/// model's own (`SentinelSource`).
///
/// Id layout with appended sentinels (umT5 / seqio `SentencePieceVocabulary(extra_ids:)`):
///
///     0 ..< pieceCount                 the model's pieces (pad 0, eos 1, unk 2 in umT5)
///     pieceCount ..< vocabSize         sentinels, <extra_id_0> = vocabSize - 1, counting down
///     vocabSize ..< paddedVocabSize    embedding rows that no token ever uses
///
/// With `from_model` sentinels, vocabSize = pieceCount and sentinel k is the id of the model's
/// piece `<extra_id_k>`, wherever the model put it.
///
/// Thread-safe: the model never changes after loading, and `SentencePieceProcessor` (every call
/// into libsentencepiece) may be used from many threads at once, so one instance serves every worker.
public final class Tokenizer: @unchecked Sendable {
    /// Sentinel count of umT5 as OpenMoE configured it (seqio `extra_ids = 300`).
    public static let defaultSentinelCount = SentinelSource.defaultAppendedCount
    /// Embedding tables are padded to a multiple of this (t5x `NUM_EMBEDDINGS` = 256,384).
    public static let embeddingMultiple = 128

    public let modelPath: String
    public let pieceCount: Int
    public let sentinelCount: Int
    /// Where the sentinels come from; `sentinelCount` of them either way.
    public let sentinelSource: SentinelSource
    public let eosId: UInt32
    public let padId: UInt32
    /// nil when the model has no unknown piece (byte-level BPE models need none).
    public let unkId: UInt32?
    /// xxh64 (hex) of the `.model` bytes: catalogs record it so a dataset names its tokenizer.
    public let modelHash: String
    /// Size in bytes of the `.model` file.
    public let modelBytes: Int

    private let processor: any TokenizerModel
    // ENGINE HOOK (issue 8): the native unigram encoder when chosen; libsentencepiece otherwise.
    // Decoding and piece lookups always use libsentencepiece. A tokenizer.json is its own model
    // and encoder (`HuggingFaceTokenizer`, native).
    public let engine: TokenizerEngine
    private let native: LazyNativeEncoder?
    /// Ids of "a" and their decoding, used to decode a run of pieces that follows a sentinel.
    private var continuationPrefix: [UInt32] = []
    private var continuationText = ""
    /// `from_model`: the model's ids of `<extra_id_0>`, `<extra_id_1>`, ... and the way back.
    private let modelSentinelIds: [UInt32]
    private let modelSentinelIndex: [UInt32: Int]

    public var vocabSize: Int { pieceCount + sentinelSource.appendedCount }
    public var paddedVocabSize: Int {
        (vocabSize + Tokenizer.embeddingMultiple - 1) / Tokenizer.embeddingMultiple * Tokenizer.embeddingMultiple
    }

    public convenience init(
        modelPath: String, sentinelCount: Int = Tokenizer.defaultSentinelCount,
        engine requested: TokenizerEngine = .auto
    ) throws {
        try self.init(modelPath: modelPath, sentinels: .appended(sentinelCount), engine: requested)
    }

    /// `modelPath` is a SentencePiece `.model` or a Hugging Face `tokenizer.json` (told apart by
    /// content); `eos` says which token ends documents where the model does not (`EOSChoice`).
    /// `twoThreads` loads libsentencepiece's model on a second thread while this one checks it for
    /// the native encoder (for commands given more than one job: 25 and 14 ms for a 32k model,
    /// at the start of a build, when nothing else runs yet).
    public init(
        modelPath: String, sentinels: SentinelSource, engine requested: TokenizerEngine = .auto,
        eos: EOSChoice = .model, twoThreads: Bool = false
    ) throws {
        guard let data = FileManager.default.contents(atPath: modelPath) else {
            let why = FileManager.default.fileExists(atPath: modelPath) ? "cannot be read" : "does not exist"
            throw MoeDataError("tokenizer model \(modelPath) \(why)")
        }
        guard !data.isEmpty else {
            throw MoeDataError(
                "tokenizer model \(modelPath) is empty (0 bytes); expected a SentencePiece .model file or a "
                    + "Hugging Face tokenizer.json")
        }
        let processor: any TokenizerModel
        if HuggingFaceTokenizerFile.looksLikeJSON(data) {
            guard requested != .library else {
                throw MoeDataError(
                    "tokenizer model \(modelPath) is a Hugging Face tokenizer.json: only the native encoder "
                        + "encodes it (--tokenizer-engine auto or native), and what needs a SentencePiece .model "
                        + "(export-hf) does not take it")
            }
            processor = try HuggingFaceTokenizer(data: data, path: modelPath, eos: eos)
            (engine, native) = (.native, nil)
        } else {
            let library =
                twoThreads ? BackgroundWork { try SentencePieceProcessor(modelBytes: data, modelPath: modelPath) } : nil
            let resolved = Result { try TokenizerEngine.resolve(requested, modelBytes: data, modelPath: modelPath) }
            processor = try library?.get() ?? SentencePieceProcessor(modelBytes: data, modelPath: modelPath)
            (engine, native) = try resolved.get()
        }
        self.processor = processor
        self.modelPath = modelPath
        modelBytes = data.count
        modelHash = XXH64.hex(XXH64.hash(data))
        pieceCount = processor.pieceCount
        sentinelSource = sentinels
        let modelIds = sentinels == .fromModel ? try ModelSentinelPieces.ids(in: processor, modelPath: modelPath) : []
        modelSentinelIds = modelIds
        modelSentinelIndex = Dictionary(uniqueKeysWithValues: modelIds.enumerated().map { ($1, $0) })
        sentinelCount = sentinels == .fromModel ? modelIds.count : sentinels.appendedCount

        eosId = try Tokenizer.eosId(eos, processor, modelPath)
        padId = try Tokenizer.requiredId(processor.padId, "pad", modelPath)
        unkId = processor.unkId >= 0 ? UInt32(processor.unkId) : nil
        if case .appended = sentinels {
            try ModelSentinelPieces.checkAppended(sentinelCount, to: processor, modelPath: modelPath)
        }
        // libsentencepiece's ids are the native encoder's, and this leaves that one unmade.
        continuationPrefix = try encodeShort("a")
        continuationText = try decodeRaw(ArraySlice(continuationPrefix))
    }

    /// The eos id `eos` chooses: the model's own, or a piece or id of the model.
    private static func eosId(_ eos: EOSChoice, _ processor: any TokenizerModel, _ path: String) throws -> UInt32 {
        switch eos {
        case .model:
            return try requiredId(processor.eosId, "eos", path)
        case .piece(let piece):
            guard let id = processor.knownId(of: piece) else {
                throw MoeDataError("tokenizer model \(path) has no piece \(String(reflecting: piece)) to use as eos")
            }
            return id
        case .id(let id):
            guard Int(id) < processor.pieceCount else {
                throw MoeDataError(
                    "tokenizer model \(path): eos id \(id) is outside its \(processor.pieceCount) pieces")
            }
            return id
        }
    }

    private static func requiredId(_ id: Int32, _ name: String, _ path: String) throws -> UInt32 {
        guard id >= 0 else {
            throw MoeDataError(
                "tokenizer model \(path) has no \(name) piece; the pipeline needs pad, eos and unk "
                    + "(umT5 layout: --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1)")
        }
        return UInt32(id)
    }

    // MARK: Sentinels

    /// `<extra_id_k>`, the name seqio and Hugging Face give sentinel k.
    public static func sentinelPiece(_ k: Int) -> String { "<extra_id_\(k)>" }

    /// The id of sentinel `k` (appended as in T5: sentinel 0 is the highest id, counting down; else
    /// the model's `<extra_id_k>`). Throws for `k` outside `0..<sentinelCount`, where T5's code
    /// would silently run into ordinary pieces.
    public func sentinel(_ k: Int) throws -> UInt32 {
        guard k >= 0 && k < sentinelCount else {
            throw MoeDataError(
                "sentinel \(k) is out of range: \(modelPath) is used with \(sentinelCount) sentinels "
                    + "(0..<\(sentinelCount))"
            )
        }
        return modelSentinelIds.isEmpty ? UInt32(vocabSize - 1 - k) : modelSentinelIds[k]
    }

    /// The sentinel index of `id`, or nil when `id` is not a sentinel.
    public func sentinelIndex(_ id: UInt32) -> Int? {
        if !modelSentinelIds.isEmpty { return modelSentinelIndex[id] }
        let i = Int(id)
        guard i >= pieceCount && i < vocabSize else { return nil }
        return vocabSize - 1 - i
    }

    // MARK: Pieces

    /// The id of `piece` (a model piece or `<extra_id_k>`), or nil when neither.
    public func pieceId(_ piece: String) -> UInt32? {
        if let id = modelPieceId(piece) { return id }
        if piece.hasPrefix("<extra_id_"), piece.hasSuffix(">"),
            let k = Int(piece.dropFirst("<extra_id_".count).dropLast()), k >= 0, k < sentinelCount,
            Tokenizer.sentinelPiece(k) == piece
        {
            return try? sentinel(k)
        }
        return nil
    }

    private func modelPieceId(_ piece: String) -> UInt32? { processor.knownId(of: piece) }

    /// The piece of `id` (`<extra_id_k>` for sentinels), or nil outside the vocabulary.
    public func piece(_ id: UInt32) -> String? {
        if let k = sentinelIndex(id) { return Tokenizer.sentinelPiece(k) }
        guard Int(id) < pieceCount else { return nil }
        return processor.piece(of: Int32(id))
    }

    public enum PieceKind: String, Sendable {
        case normal, unknown, control, unused, byte, sentinel
    }

    /// What kind of id `id` is, or nil outside the vocabulary. (libsentencepiece 0.1.97 reports
    /// user-defined pieces such as reserved mode tokens as `normal`.)
    public func pieceKind(_ id: UInt32) -> PieceKind? {
        if sentinelIndex(id) != nil { return .sentinel }
        guard Int(id) < pieceCount else { return nil }
        switch processor.pieceType(of: Int32(id)) {
        case 1: return .unknown
        case 2: return .control
        case 4: return .unused
        case 6: return .byte
        default: return .normal
        }
    }

    /// True once the native encoder was made (it is made when the first text is encoded).
    var nativeEncoderIsMade: Bool { native?.isMade ?? false }

    /// True when the model has byte-fallback pieces `<0x00>`...`<0xFF>`.
    public var hasByteFallback: Bool {
        guard let id = modelPieceId("<0x00>") else { return false }
        return pieceKind(id) == .byte
    }

    // MARK: Encoding

    public func encode(_ text: String) throws -> [UInt32] {
        var text = text
        return try text.withUTF8 { try encode(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Longer texts are encoded in pieces cut at line breaks: SentencePiece's lattice for a
    /// whole 50 MB line would need gigabytes. Ids can differ from a one-call encode only at the cuts.
    public static let maxEncodeBytes = 1 << 20

    public func encode(utf8 bytes: UnsafeRawBufferPointer) throws -> [UInt32] {
        guard bytes.count > Tokenizer.maxEncodeBytes else { return try encodeWhole(utf8: bytes) }
        var ids: [UInt32] = []
        for piece in Tokenizer.encodePieces(utf8: bytes) {
            ids.append(contentsOf: try encodeWhole(utf8: UnsafeRawBufferPointer(rebasing: bytes[piece])))
        }
        return ids
    }

    /// Where `encode(utf8:)` cuts a text: pieces of at most `maxEncodeBytes`, each ending after the
    /// last line break in its window, else at a UTF-8 character boundary. A text's ids are its
    /// pieces' ids, each encoded by `encodeWhole`, one after the other (so pieces can be encoded on
    /// different threads).
    static func encodePieces(utf8 bytes: UnsafeRawBufferPointer) -> [Range<Int>] {
        guard bytes.count > maxEncodeBytes else { return [0..<bytes.count] }
        var pieces: [Range<Int>] = []
        var start = 0
        while start < bytes.count {
            var end = min(start + maxEncodeBytes, bytes.count)
            if end < bytes.count {
                if let nl = bytes[start..<end].lastIndex(of: 0x0A), nl > start {
                    end = nl + 1
                } else {
                    while end > start && bytes[end] & 0xC0 == 0x80 { end -= 1 }
                    // A window of continuation bytes only (not UTF-8) has no boundary: cut it whole
                    // (an empty piece would never move on).
                    if end == start { end = min(start + maxEncodeBytes, bytes.count) }
                }
            }
            pieces.append(start..<end)
            start = end
        }
        return pieces
    }

    /// One piece of `encodePieces`, encoded by the engine.
    func encodeWhole(utf8 bytes: UnsafeRawBufferPointer) throws -> [UInt32] {
        if let native { return native.encoder.encode(utf8: bytes) }
        return try libraryEncode(utf8: bytes)
    }

    /// A short text (a mode prefix, a prompt) encoded by libsentencepiece: the ids either engine
    /// gives, without making the native encoder, which a build that ingests nothing never needs.
    public func encodeShort(_ text: String) throws -> [UInt32] {
        var text = text
        return try text.withUTF8 { try libraryEncode(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Encodes with libsentencepiece whatever the engine (the reference for `verify`).
    public func libraryEncode(utf8 bytes: UnsafeRawBufferPointer) throws -> [UInt32] {
        try processor.encode(utf8: bytes)
    }

    /// Encodes `texts` on `jobs` threads. The result is in input order and identical for any
    /// `jobs`: each text is encoded independently and stored by its index.
    public func encodeBatch(_ texts: [String], jobs: Int) throws -> [[UInt32]] {
        try Parallel.map(texts.count, jobs: jobs) { try encode(texts[$0]) }
    }

    /// UTF-8 documents (ingest's form), encoded on `jobs` threads.
    public func encodeBatch(utf8 texts: [[UInt8]], jobs: Int) throws -> [[UInt32]] {
        try Parallel.map(texts.count, jobs: jobs) { i in try texts[i].withUnsafeBytes { try encode(utf8: $0) } }
    }

    // MARK: Decoding

    /// Decodes ids to text. Sentinels render as `<extra_id_k>`; an id outside the vocabulary
    /// is an error naming its position.
    public func decode(_ ids: [UInt32]) throws -> String {
        var text = ""
        var runStart = 0
        // The model's own sentinels may be control pieces, which libsentencepiece decodes to nothing.
        let splitsModelIds = !modelSentinelIds.isEmpty
        for (i, id) in ids.enumerated() where Int(id) >= pieceCount || (splitsModelIds && sentinelIndex(id) != nil) {
            guard let k = sentinelIndex(id) else {
                throw MoeDataError(
                    "id \(id) at position \(i) is outside the vocabulary of \(modelPath) (\(vocabSize) ids: "
                        + "\(pieceCount) pieces + \(sentinelSource.appendedCount) sentinels)")
            }
            text += try decodePieces(ids[runStart..<i], continuing: runStart > 0)
            text += Tokenizer.sentinelPiece(k)
            runStart = i + 1
        }
        text += try decodePieces(ids[runStart...], continuing: runStart > 0)
        return text
    }

    /// Decodes a run of piece ids. A run that follows a sentinel is not the start of the text,
    /// but libsentencepiece strips the dummy-prefix space from the first piece it decodes; so
    /// such a run is decoded behind the ids of "a" and that "a" is cut off again.
    private func decodePieces(_ ids: ArraySlice<UInt32>, continuing: Bool) throws -> String {
        guard !ids.isEmpty else { return "" }
        guard continuing, !continuationPrefix.isEmpty else { return try decodeRaw(ids) }
        let joined = try decodeRaw(ArraySlice(continuationPrefix + ids))
        guard joined.hasPrefix(continuationText) else { return try decodeRaw(ids) }
        return String(joined.dropFirst(continuationText.count))
    }

    private func decodeRaw(_ ids: ArraySlice<UInt32>) throws -> String {
        try processor.decode(ids)
    }
}
