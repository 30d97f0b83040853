import Foundation

/// A SentencePiece unigram encoder in Swift that gives the ids of libsentencepiece 0.1.97
/// (`SentencePieceProcessor::Encode`, whose unigram model runs `Model::EncodeOptimized`):
///
/// 1. normalize: user-defined symbols pass through untouched; otherwise the longest rule of the
///    precompiled character map, else the character itself (malformed UTF-8 → U+FFFD, one byte
///    consumed); leading, trailing and repeated spaces removed; spaces escaped to U+2581; the
///    dummy-prefix U+2581 in front;
/// 2. a Viterbi pass over the normalized bytes with the best path ending at each byte offset,
///    fed by a trie walk from each character start, with 0.1.97's score arithmetic and tie-breaks
///    (first candidate wins ties; user-defined pieces score `len * max_score - 0.1`; a character
///    that no single piece covers gets an unknown node at `min_score - 10`);
/// 3. unknown pieces become one byte piece per UTF-8 byte when the model has byte fallback.
///
/// Thread-safe: the model is immutable; per-call buffers come from a pool, so a worker thread
/// reuses the same buffers for every document and the inner loop allocates nothing.
public final class NativeUnigramEncoder: @unchecked Sendable {
    let trie: PieceTrie
    let charsMap: PrecompiledCharsMap?
    let userSymbols: PieceTrie?
    /// Score of each id as the C++ code adds it: a double (user-defined pieces) or a float
    /// widened to double, because the conditional expression there has type double.
    let scores: UnsafeMutableBufferPointer<Double>
    let unkScore: Float
    let unkId: Int32
    /// Ids of `<0x00>`...`<0xFF>` when byte fallback is on.
    let byteIds: UnsafeMutableBufferPointer<UInt32>?
    let replacementCharacter: UnsafeMutableBufferPointer<UInt8>
    /// ASCII bytes that normalize to themselves when the next byte is ASCII too (or the end):
    /// they start no user-defined symbol, are no rule by themselves, and no rule continues them
    /// with ASCII. Most text is made of them, and they skip both tries.
    let passThrough: UnsafeMutableBufferPointer<Bool>
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    let escapeWhitespaces: Bool
    let whitespaceAsSuffix: Bool
    private let pool = ScratchPool()

    /// What the encoder is made of once the model is checked: everything that can refuse a model.
    struct CheckedModel: @unchecked Sendable {
        let model: SentencePieceModelFile
        let table: UnigramPieceTable
        let charsMap: PrecompiledCharsMap?
    }

    /// Refuses a model the encoder cannot serve, with the reason; cheap next to building the
    /// encoder (its tries), which `LazyNativeEncoder` leaves until the first text is encoded.
    static func check(_ model: SentencePieceModelFile, path: String) throws -> CheckedModel {
        guard model.modelType == .unigram else {
            throw MoeDataError(
                "tokenizer model \(path) is a \(model.modelType) model; the native encoder handles unigram models only")
        }
        let table = try UnigramPieceTable(model: model, path: path)
        let rules = model.precompiledCharsMap
        let charsMap = rules.isEmpty ? nil : try PrecompiledCharsMap(rules, path: path)
        return CheckedModel(model: model, table: table, charsMap: charsMap)
    }

    public convenience init(model: SentencePieceModelFile, path: String) throws {
        // Everything that can throw comes before the buffers are allocated: a throwing
        // initializer does not run deinit, so a bad charsmap leaked them (LeakSanitizer, fuzzing).
        self.init(checked: try NativeUnigramEncoder.check(model, path: path))
    }

    init(checked: CheckedModel) {
        let model = checked.model
        let table = checked.table
        let charsMap = checked.charsMap
        self.charsMap = charsMap
        if let ids = table.byteIds {
            let buffer = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: ids.count)
            _ = buffer.initialize(from: ids)
            byteIds = buffer
        } else {
            byteIds = nil
        }
        let scores = UnsafeMutableBufferPointer<Double>.allocate(capacity: model.pieces.count)
        for (i, p) in model.pieces.enumerated() {
            // size_t * float is a float product; `- 0.1` then makes it a double.
            scores[i] = p.type == .userDefined ? Double(Float(p.piece.count) * table.maxScore) - 0.1 : Double(p.score)
        }
        self.scores = scores
        replacementCharacter = .allocate(capacity: 3)
        _ = replacementCharacter.initialize(from: [0xEF, 0xBF, 0xBD])
        unkScore = table.minScore - 10
        unkId = table.unkId
        trie = PieceTrie(keys: table.keys, values: table.values)
        let userDefined = model.pieces.map { $0.type == .userDefined }
        trie.fillScores { id in userDefined[Int(id)] ? .nan : model.pieces[Int(id)].score }
        let userKeys = table.userKeys
        userSymbols = userKeys.isEmpty ? nil : PieceTrie(keys: userKeys, values: userKeys.indices.map { Int32($0) })
        passThrough = .allocate(capacity: 256)
        for b in 0..<256 {
            let byte = UInt8(b)
            passThrough[b] =
                byte < 0x80 && (charsMap?.isInertBeforeASCII(byte) ?? true)
                && !(userSymbols?.hasKey(startingWith: byte) ?? false)
        }
        addDummyPrefix = model.addDummyPrefix
        removeExtraWhitespaces = model.removeExtraWhitespaces
        escapeWhitespaces = model.escapeWhitespaces
        whitespaceAsSuffix = model.treatWhitespaceAsSuffix
    }

    deinit {
        scores.deallocate()
        byteIds?.deallocate()
        replacementCharacter.deallocate()
        passThrough.deallocate()
    }

    public convenience init(modelPath: String) throws {
        guard let data = FileManager.default.contents(atPath: modelPath) else {
            throw MoeDataError("tokenizer model \(modelPath) cannot be read")
        }
        try self.init(model: SentencePieceModelFile(bytes: [UInt8](data), path: modelPath), path: modelPath)
    }

    // MARK: Encoding

    public func encode(_ text: String) -> [UInt32] {
        var text = text
        return text.withUTF8 { encode(utf8: UnsafeRawBufferPointer($0)) }
    }

    public func encode(utf8 input: UnsafeRawBufferPointer) -> [UInt32] {
        let scratch = pool.take()
        defer { pool.give(scratch) }
        guard let base = input.baseAddress, input.count > 0 else { return [] }
        let length = normalize(base.assumingMemoryBound(to: UInt8.self), input.count, into: scratch)
        guard length > 0 else { return [] }
        viterbi(scratch.normalized, length, scratch)
        return backtrack(length, scratch)
    }

    /// The normalized text, for tests and the verify report.
    public func normalize(_ text: String) -> [UInt8] {
        let scratch = ScratchPool.Scratch()
        var text = text
        let n = text.withUTF8 { buf -> Int in
            guard let base = buf.baseAddress, buf.count > 0 else { return 0 }
            return normalize(base, buf.count, into: scratch)
        }
        return Array(UnsafeBufferPointer(start: scratch.normalized, count: n))
    }
}
