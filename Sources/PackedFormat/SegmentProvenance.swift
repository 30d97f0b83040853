import JSON

/// Where one packed segment came from: one entry of the row's `provenance` column,
/// `{"segment": k, "source": ..., "objective": ..., "denoiser": ... | null, "docs": [[doc_id, offset, count], ...]}`.
public struct SegmentProvenance: Sendable, Equatable, Codable {
    /// The segment id in the row (1, 2, ...).
    public var segment: Int
    public var source: String
    /// "ul2" or "causal".
    public var objective: String
    /// The UL2 denoiser's name; nil for causal LM.
    public var denoiser: String?
    /// The documents the segment's source tokens came from, in stream order.
    public var pieces: [RawPiece]

    public init(segment: Int, source: String, objective: String, denoiser: String?, pieces: [RawPiece]) {
        self.segment = segment
        self.source = source
        self.objective = objective
        self.denoiser = denoiser
        self.pieces = pieces
    }

    private enum Key: String {
        case segment, source, objective, denoiser, docs
    }

    public var json: JSONValue {
        .object([
            Key.segment.rawValue: .int(Int64(segment)),
            Key.source.rawValue: .string(source),
            Key.objective.rawValue: .string(objective),
            Key.denoiser.rawValue: denoiser.map { .string($0) } ?? .null,
            Key.docs.rawValue: .array(
                pieces.map {
                    .array([.string($0.docId), .int(Int64($0.offset)), .int(Int64($0.count))])
                }),
        ])
    }

    /// Reads one entry back; nil when it does not have that shape.
    public init?(json: JSONValue) {
        guard let segment = json[Key.segment.rawValue]?.intValue,
            let source = json[Key.source.rawValue]?.stringValue,
            let objective = json[Key.objective.rawValue]?.stringValue,
            let docs = json[Key.docs.rawValue]?.arrayValue
        else { return nil }
        var denoiser: String?
        switch json[Key.denoiser.rawValue] {
        case .null?, nil: denoiser = nil
        case .string(let name)?: denoiser = name
        default: return nil
        }
        var pieces: [RawPiece] = []
        for doc in docs {
            guard let fields = doc.arrayValue, fields.count == 3, let id = fields[0].stringValue,
                let offset = fields[1].intValue, let count = fields[2].intValue
            else { return nil }
            pieces.append(RawPiece(docId: id, offset: Int(offset), count: Int(count)))
        }
        self.init(
            segment: Int(segment), source: source, objective: objective, denoiser: denoiser,
            pieces: pieces)
    }
}
