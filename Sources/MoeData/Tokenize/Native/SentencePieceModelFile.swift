import Foundation

/// The parts of SentencePiece's `ModelProto` (sentencepiece_model.proto) that encoding needs,
/// read by a small protobuf wire-format reader. Absent fields take the proto2 defaults that
/// libsentencepiece sees, so a model that relies on them encodes the same way.
public struct SentencePieceModelFile: Sendable {
    public enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public enum ModelType: Int, Sendable {
        case unigram = 1, bpe = 2, word = 3, char = 4
    }

    public struct Piece: Sendable {
        public var piece: [UInt8]
        public var score: Float
        public var type: PieceType
    }

    public var pieces: [Piece] = []
    // TrainerSpec
    public var modelType: ModelType = .unigram
    public var byteFallback = false
    public var treatWhitespaceAsSuffix = false
    public var unkSurface: [UInt8] = Array(" \u{2047} ".utf8)
    // NormalizerSpec
    public var normalizerName = ""
    public var precompiledCharsMap: [UInt8] = []
    public var addDummyPrefix = true
    public var removeExtraWhitespaces = true
    public var escapeWhitespaces = true

    /// Parses a serialized ModelProto; `path` only names the file in errors.
    public init(bytes: [UInt8], path: String) throws {
        var reader = WireReader(bytes: bytes[...], path: path, message: "ModelProto")
        while let (field, wire) = try reader.nextField() {
            switch (field, wire) {
            case (1, 2):
                pieces.append(
                    try Self.parsePiece(
                        reader.subReader(message: "SentencePiece #\(pieces.count)"), index: pieces.count))
            case (2, 2): try parseTrainerSpec(reader.subReader(message: "TrainerSpec"))
            case (3, 2): try parseNormalizerSpec(reader.subReader(message: "NormalizerSpec"))
            default: try reader.skip(wire)
            }
        }
        guard !pieces.isEmpty else {
            throw MoeDataError("tokenizer model \(path) has no pieces; expected the ModelProto that spm_train writes")
        }
    }

    private static func parsePiece(_ r: WireReader, index: Int) throws -> Piece {
        var r = r
        var piece = Piece(piece: [], score: 0, type: .normal)
        while let (field, wire) = try r.nextField() {
            switch (field, wire) {
            case (1, 2): piece.piece = Array(try r.lengthDelimited())
            case (2, 5): piece.score = Float(bitPattern: try r.fixed32())
            case (3, 0):
                let raw = try r.varint()
                guard let type = PieceType(rawValue: Int(truncatingIfNeeded: raw)) else {
                    throw r.error("piece #\(index) has unknown type \(raw) (expected 1...6)")
                }
                piece.type = type
            default: try r.skip(wire)
            }
        }
        return piece
    }

    private mutating func parseTrainerSpec(_ r: WireReader) throws {
        var r = r
        while let (field, wire) = try r.nextField() {
            switch (field, wire) {
            case (3, 0):
                let raw = try r.varint()
                guard let type = ModelType(rawValue: Int(truncatingIfNeeded: raw)) else {
                    throw r.error("trainer_spec.model_type \(raw) is not one of UNIGRAM, BPE, WORD, CHAR")
                }
                modelType = type
            case (24, 0): treatWhitespaceAsSuffix = try r.varint() != 0
            case (35, 0): byteFallback = try r.varint() != 0
            case (44, 2): unkSurface = Array(try r.lengthDelimited())
            default: try r.skip(wire)
            }
        }
    }

    private mutating func parseNormalizerSpec(_ r: WireReader) throws {
        var r = r
        while let (field, wire) = try r.nextField() {
            switch (field, wire) {
            case (1, 2): normalizerName = String(decoding: try r.lengthDelimited(), as: UTF8.self)
            case (2, 2): precompiledCharsMap = Array(try r.lengthDelimited())
            case (3, 0): addDummyPrefix = try r.varint() != 0
            case (4, 0): removeExtraWhitespaces = try r.varint() != 0
            case (5, 0): escapeWhitespaces = try r.varint() != 0
            default: try r.skip(wire)
            }
        }
    }
}

/// Protobuf wire format: (field << 3 | wire type) keys, varints, fixed32/64 and length-delimited
/// runs. Every read is bounds-checked, so a truncated or corrupt file is an error naming the
/// message and byte offset, never a crash.
struct WireReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int
    let path: String
    let message: String

    init(bytes: ArraySlice<UInt8>, path: String, message: String) {
        self.bytes = bytes
        self.position = bytes.startIndex
        self.path = path
        self.message = message
    }

    func error(_ what: String) -> MoeDataError {
        MoeDataError(
            "tokenizer model \(path) is not a valid SentencePiece model: \(message) at byte \(position): \(what)")
    }

    mutating func nextField() throws -> (Int, Int)? {
        guard position < bytes.endIndex else { return nil }
        let key = try varint()
        let field = Int(truncatingIfNeeded: key >> 3)
        guard field > 0 else { throw error("field number 0") }
        return (field, Int(key & 7))
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex else { throw error("truncated varint") }
            let b = bytes[position]
            position += 1
            guard shift < 64 else { throw error("varint longer than 10 bytes") }
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    mutating func fixed32() throws -> UInt32 {
        guard bytes.endIndex - position >= 4 else { throw error("truncated fixed32") }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return v
    }

    mutating func lengthDelimited() throws -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(bytes.endIndex - position) else {
            throw error("length \(length) runs past the end (\(bytes.endIndex - position) bytes left)")
        }
        let start = position
        position += Int(length)
        return bytes[start..<position]
    }

    mutating func subReader(message: String) throws -> WireReader {
        let start = position
        let body = try lengthDelimited()
        var sub = WireReader(bytes: body, path: path, message: "\(self.message).\(message)")
        sub.position = body.startIndex
        _ = start
        return sub
    }

    mutating func skip(_ wire: Int) throws {
        switch wire {
        case 0: _ = try varint()
        case 1:
            guard bytes.endIndex - position >= 8 else { throw error("truncated fixed64") }
            position += 8
        case 2: _ = try lengthDelimited()
        case 5: _ = try fixed32()
        default: throw error("unsupported wire type \(wire)")
        }
    }
}
