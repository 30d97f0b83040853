import PackedFormat

/// Plain next-token prediction, as OpenMoE's `*_full_lm` tasks: EOS after every document,
/// documents concatenated, the stream cut into chunks of exactly `seqLen` tokens (the last chunk
/// of a phase may be shorter). Loss on every token. OpenMoE's extra `append_eos_after_trim`,
/// which overwrote the last token of every chunk with EOS, is deliberately not copied.
public struct CausalObjective: Sendable {
    public let seqLen: Int
    public let eosId: UInt32

    public init(seqLen: Int, eosId: UInt32) throws {
        guard seqLen >= 1 else { throw MoeDataError("causal: sequence length \(seqLen) must be at least 1") }
        self.seqLen = seqLen
        self.eosId = eosId
    }

    /// A chunker for one source's document stream.
    public func chunker(source: String) -> CausalChunker { CausalChunker(objective: self, source: source) }
}

/// Cuts one source's documents (with EOS appended to each) into `seqLen`-token causal examples.
/// Documents may be fed whole or in pieces (`offset`, `endsDocument`); only the piece that ends a
/// document gets the EOS.
public struct CausalChunker: Sendable {
    public let objective: CausalObjective
    public let source: String
    private var tokens: [UInt32] = []
    private var pieces: [RawPiece] = []

    public init(objective: CausalObjective, source: String) {
        self.objective = objective
        self.source = source
        tokens.reserveCapacity(objective.seqLen)
    }

    /// Tokens already waiting in the open chunk.
    public var pendingTokens: Int { tokens.count }
    /// Tokens still needed to complete the open chunk.
    public var tokensToFill: Int { objective.seqLen - tokens.count }

    /// Adds `count` tokens of document `docId` starting at its token `offset`, then EOS if this
    /// piece ends the document. Returns the examples completed by it, in order.
    public mutating func add(
        docId: String, tokens doc: ArraySlice<UInt32>, offset: Int = 0,
        endsDocument: Bool = true
    ) -> [Example] {
        var done: [Example] = []
        var start = doc.startIndex
        while start < doc.endIndex {
            let take = min(doc.endIndex - start, objective.seqLen - tokens.count)
            tokens.append(contentsOf: doc[start..<(start + take)])
            pieces.append(RawPiece(docId: docId, offset: offset + (start - doc.startIndex), count: take))
            start += take
            if tokens.count == objective.seqLen { done.append(emit()) }
        }
        // An empty piece adds nothing, not even EOS: documents are never empty (docs/formats.md), so an
        // empty piece can only be a caller's zero-length slice.
        if endsDocument && !doc.isEmpty {
            tokens.append(objective.eosId)
            if tokens.count == objective.seqLen { done.append(emit()) }
        }
        return done
    }

    public mutating func add(docId: String, tokens doc: [UInt32]) -> [Example] {
        add(docId: docId, tokens: doc[...])
    }

    /// The last, possibly short, chunk (nil when nothing is pending). Call at the end of a phase.
    public mutating func finish() -> Example? {
        tokens.isEmpty ? nil : emit()
    }

    private mutating func emit() -> Example {
        let n = tokens.count
        let example = Example(
            tokens: tokens, lossMask: [UInt8](repeating: 1, count: n),
            prefixFlags: [UInt8](repeating: 0, count: n), source: source,
            objective: .causal, denoiser: nil, pieces: pieces)
        tokens = []
        tokens.reserveCapacity(objective.seqLen)
        pieces = []
        return example
    }
}
