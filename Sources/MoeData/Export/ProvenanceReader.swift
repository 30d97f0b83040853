import JSON
import PackedFormat

/// Reads a packed row's `provenance` column (`[{"segment": k, "source": ..., "objective": ...,
/// "denoiser": ..., "docs": [[doc_id, offset, count], ...]}, ...]`) straight into
/// `SegmentProvenance`s: the fields `SegmentProvenance(json:)` reads, with the same rules, but
/// without a `JSONValue` tree (a dictionary per segment and a value per document were a third of
/// the OLMo export's reading thread). Keys may come in any order; unknown keys are skipped.
struct ProvenanceReader {
    private var parser: JSONParser
    /// The last source read, kept so that each segment of one source shares its string.
    private var lastSource: (bytes: [UInt8], string: String) = ([], "")
    private var scratch: [UInt8] = []

    init(_ bytes: UnsafeRawBufferPointer) { parser = JSONParser(bytes) }

    /// The segments of the column, or a `MoeDataError` saying what is not as expected.
    mutating func segments() throws -> [SegmentProvenance] {
        var segments: [SegmentProvenance] = []
        try list("[", "]") { segments.append(try $0.segment()) }
        try parser.expectEnd()
        return segments
    }

    private mutating func segment() throws -> SegmentProvenance {
        var segment: Int64?, source: String?, objective: String?, denoiser: String?, pieces: [RawPiece]?
        try list("{", "}") { reader in
            let key = try reader.parser.parseString()
            try reader.expect(":")
            switch key {
            case "segment": segment = try reader.parser.parseValue().intValue
            case "source": source = try reader.source()
            case "objective": objective = try reader.parser.parseString()
            case "denoiser":
                switch try reader.parser.parseValue() {
                case .null: denoiser = nil
                case .string(let name): denoiser = name
                default: throw MoeDataError("a denoiser that is neither null nor a string")
                }
            case "docs": pieces = try reader.pieces()
            default: try reader.parser.skipValue()
            }
        }
        guard let segment, let source, let objective, let pieces else {
            throw MoeDataError("an entry is not {segment, source, objective, denoiser, docs}")
        }
        return SegmentProvenance(
            segment: Int(segment), source: source, objective: objective, denoiser: denoiser, pieces: pieces)
    }

    /// `[[doc_id, offset, count], ...]`.
    private mutating func pieces() throws -> [RawPiece] {
        var pieces: [RawPiece] = []
        try list("[", "]") { reader in
            try reader.expect("[")
            let id = try reader.parser.parseString()
            try reader.expect(",")
            let offset = try reader.parser.parseValue().intValue
            try reader.expect(",")
            let count = try reader.parser.parseValue().intValue
            try reader.expect("]")
            guard let offset, let count else { throw MoeDataError("a document's offset or count is not an integer") }
            pieces.append(RawPiece(docId: id, offset: Int(offset), count: Int(count)))
        }
        return pieces
    }

    /// A source name: the previous segment's string when the bytes are the same.
    private mutating func source() throws -> String {
        scratch.removeAll(keepingCapacity: true)
        try parser.parseStringBytes(into: &scratch)
        if scratch != lastSource.bytes { lastSource = (scratch, String(decoding: scratch, as: UTF8.self)) }
        return lastSource.string
    }

    /// `open`, elements read by `element` separated by commas, `close`.
    private mutating func list(
        _ open: Unicode.Scalar, _ close: Unicode.Scalar, _ element: (inout ProvenanceReader) throws -> Void
    ) throws {
        try expect(open)
        parser.skipWhitespace()
        if parser.peekByte() == UInt8(ascii: close) {
            parser.advance(1)
            return
        }
        while true {
            parser.skipWhitespace()
            try element(&self)
            parser.skipWhitespace()
            guard parser.peekByte() == UInt8(ascii: ",") else { break }
            parser.advance(1)
        }
        try expect(close)
    }

    /// Reads past `character` and the whitespace around it.
    private mutating func expect(_ character: Unicode.Scalar) throws {
        parser.skipWhitespace()
        guard parser.peekByte() == UInt8(ascii: character) else {
            throw MoeDataError("'\(character)' expected at byte \(parser.pos)")
        }
        parser.advance(1)
        // parseString starts at its quote.
        parser.skipWhitespace()
    }
}
