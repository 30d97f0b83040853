/// What a SentencePiece model's own sentinel pieces (`<extra_id_k>`) allow: taking them as the
/// sentinels (`from_model`), or appending sentinels after the pieces (only when no name collides).
enum ModelSentinelPieces {
    /// The ids of the model's `<extra_id_0>`, `<extra_id_1>`, ..., `<extra_id_{N-1}>`: sentinel k is
    /// the piece `<extra_id_k>` (T5's order). Requires N ≥ 1 and no gap in the numbering (no piece
    /// `<extra_id_m>` with m ≥ N), so that every span number has exactly one id.
    static func ids(in processor: any TokenizerModel, modelPath: String) throws -> [UInt32] {
        let numbered = numberedPieces(in: processor)
        let count = numbered.count
        let ids = (0..<count).compactMap { numbered[$0] }
        guard count > 0 else {
            throw MoeDataError(
                "tokenizer model \(modelPath) has no sentinel pieces, but sentinels: from_model takes the model's "
                    + "own <extra_id_0>, <extra_id_1>, ... (train it with user_defined_symbols <extra_id_0>, ..., "
                    + "<extra_id_99>); use sentinels: \(Tokenizer.defaultSentinelCount) to append sentinels "
                    + "after its pieces, or 0 for a causal-only mixture")
        }
        guard ids.count == count else {
            let missing = (0..<count).first { numbered[$0] == nil } ?? 0
            let highest = numbered.keys.max() ?? 0
            throw MoeDataError(
                "tokenizer model \(modelPath) has \(count) sentinel pieces up to "
                    + "\(Tokenizer.sentinelPiece(highest)) but no \(Tokenizer.sentinelPiece(missing)); "
                    + "sentinels: from_model needs <extra_id_0> ... <extra_id_{N-1}> with no gap, sentinel k being "
                    + "<extra_id_k>. Add the missing pieces to the model, or use sentinels: 0 for a causal-only "
                    + "mixture")
        }
        return ids
    }

    /// Refuses a sentinel count that cannot be appended after the model's pieces: negative, more
    /// than the pieces, beyond 31-bit ids, or naming a sentinel the model already has as a piece
    /// (then `<extra_id_k>` would have two ids and decoding would be ambiguous).
    static func checkAppended(_ count: Int, to processor: any TokenizerModel, modelPath: String) throws {
        let pieceCount = processor.pieceCount
        guard count >= 0 else {
            throw MoeDataError("sentinel count \(count) for \(modelPath) is negative; use 0 or more (OpenMoE: 300)")
        }
        guard count <= pieceCount else {
            throw MoeDataError(
                "sentinel count \(count) for \(modelPath) exceeds its \(pieceCount) pieces; "
                    + "sentinel ids count down from the top of the vocabulary and would outnumber the text pieces")
        }
        guard pieceCount + count <= Int(Int32.max) else {
            throw MoeDataError(
                "vocabulary of \(modelPath) (\(pieceCount) pieces + \(count) sentinels) does not fit in 31-bit ids")
        }
        guard let k = (0..<count).first(where: { processor.knownId(of: Tokenizer.sentinelPiece($0)) != nil }),
            let id = processor.knownId(of: Tokenizer.sentinelPiece(k))
        else { return }
        let works =
            (try? ids(in: processor, modelPath: modelPath)) != nil
            ? "Use sentinels: from_model (--sentinels from_model) to take the model's own sentinel pieces, or "
                + "sentinels: 0 for none (causal-only mixtures)"
            : "Use sentinels: 0 (causal-only mixtures), or a model without <extra_id_k> pieces"
        throw MoeDataError(
            "tokenizer model \(modelPath) already has a piece \(Tokenizer.sentinelPiece(k)) (id \(id)); the "
                + "\(count) sentinels appended after its \(pieceCount) pieces would give it a second id. " + works)
    }

    /// Every piece spelled exactly `<extra_id_k>` (k without leading zeros), by k.
    static func numberedPieces(in processor: any TokenizerModel) -> [Int: UInt32] {
        let prefix = "<extra_id_"
        var numbered: [Int: UInt32] = [:]
        for id in 0..<Int32(processor.pieceCount) {
            let piece = processor.piece(of: id)
            guard piece.hasPrefix(prefix), piece.hasSuffix(">"),
                let k = Int(piece.dropFirst(prefix.count).dropLast()), k >= 0, Tokenizer.sentinelPiece(k) == piece
            else { continue }
            numbered[k] = UInt32(id)
        }
        return numbered
    }
}
