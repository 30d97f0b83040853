import PackedFormat

extension Packer {
    /// What a packer holds between rows: the examples of its open row, in order. Codable, so a
    /// build checkpoint can resume in the middle of a row (`Packer(rowLength:resumingFrom:)`);
    /// encoded as the list of examples alone.
    public struct State: Codable, Sendable, Equatable {
        public var examples: [Example] = []

        public init(examples: [Example] = []) {
            self.examples = examples
        }

        public init(from decoder: any Decoder) throws {
            examples = try [Example](from: decoder)
        }

        public func encode(to encoder: any Encoder) throws {
            try examples.encode(to: encoder)
        }
    }
}

/// An example in a packer's saved state. Its pieces are `[doc_id, offset, count]` string triples,
/// the form build checkpoints have always stored, so a build interrupted before an upgrade resumes.
extension Example: Codable {
    enum CodingKeys: String, CodingKey {
        case tokens, lossMask, prefixFlags, source, objective, denoiser, pieces
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let pieces = try c.decode([[String]].self, forKey: .pieces).map { triple -> RawPiece in
            guard triple.count == 3, let offset = Int(triple[1]), let count = Int(triple[2]) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .pieces, in: c,
                    debugDescription: "a piece is not [doc_id, offset, count]")
            }
            return RawPiece(docId: triple[0], offset: offset, count: count)
        }
        self.init(
            tokens: try c.decode([UInt32].self, forKey: .tokens),
            lossMask: try c.decode([UInt8].self, forKey: .lossMask),
            prefixFlags: try c.decode([UInt8].self, forKey: .prefixFlags),
            source: try c.decode(String.self, forKey: .source),
            objective: try c.decode(ObjectiveKind.self, forKey: .objective),
            denoiser: try c.decodeIfPresent(String.self, forKey: .denoiser), pieces: pieces)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(lossMask, forKey: .lossMask)
        try c.encode(prefixFlags, forKey: .prefixFlags)
        try c.encode(source, forKey: .source)
        try c.encode(objective, forKey: .objective)
        try c.encodeIfPresent(denoiser, forKey: .denoiser)
        try c.encode(pieces.map { [$0.docId, String($0.offset), String($0.count)] }, forKey: .pieces)
    }
}
