/// The routing decisions of one MoE layer over the analysed tokens: one entry per token, stored as
/// parallel arrays (a 64-row sample is ~130k tokens per layer, so no per-token objects).
public struct LayerRouting: Sendable, Equatable {
    public let experts: Int
    public let topK: Int
    /// The id the router sees at this position: the model input (previous target; 0 = BOS at a segment start).
    public var tokenIds: [Int32] = []
    /// Position inside the token's packed example (restarts at 0 per segment).
    public var positions: [Int32] = []
    /// Position inside the packed row (the order in which capacity is handed out).
    public var offsets: [Int32] = []
    /// Index into the analysis' source names, −1 when the row's provenance does not name one.
    public var sources: [Int32] = []
    /// Index into the analysis' language names (from the document's metadata or its source's manifest
    /// entry), −1 when neither names one.
    public var languages: [Int32] = []
    /// `t·topK + r` is token t's r-th choice (r = 0 its top-1), its gate weight, and whether it was kept.
    public var choices: [Int32] = []
    public var gates: [Float] = []
    public var kept: [Bool] = []

    public init(experts: Int, topK: Int) {
        self.experts = experts
        self.topK = topK
    }

    public var count: Int { tokenIds.count }

    public mutating func append(
        tokenId: Int32, position: Int32, offset: Int32, source: Int32, language: Int32 = -1,
        choices c: [Int32], gates g: [Float], kept k: [Bool]
    ) {
        precondition(c.count == topK && g.count == topK && k.count == topK, "one choice, gate and kept flag per k")
        tokenIds.append(tokenId)
        positions.append(position)
        offsets.append(offset)
        sources.append(source)
        languages.append(language)
        choices.append(contentsOf: c)
        gates.append(contentsOf: g)
        kept.append(contentsOf: k)
    }

    /// The expert of token t's r-th choice.
    public func choice(_ t: Int, _ r: Int) -> Int { Int(choices[t * topK + r]) }

    /// True when token t + 1 follows token t in the same packed segment (positions restart at 0 in every
    /// segment, and the record walks each row's tokens in order).
    public func followsInSegment(_ t: Int) -> Bool {
        t + 1 < count && positions[t + 1] == positions[t] + 1 && offsets[t + 1] == offsets[t] + 1
    }
}
