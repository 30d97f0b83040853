import CSentencePiece
import Foundation

/// libsentencepiece's processor as Swift sees it: this type and `SentencePieceTrainer` are the
/// only code that calls into the C shim (`spm_shim.h`), so pointers, C strings and buffer-size
/// retries stay here and `Tokenizer` deals in ids and strings.
///
/// Thread-safe: libsentencepiece's `Encode`/`Decode` are const, and the shim keeps its scratch
/// buffers thread-local, so one instance serves every worker.
final class SentencePieceProcessor: @unchecked Sendable {
    /// Names the model in errors.
    let modelPath: String
    private let pointer: OpaquePointer

    /// Loads a model from its serialized ModelProto bytes.
    init(modelBytes: Data, modelPath: String) throws {
        var err = [CChar](repeating: 0, count: 1024)
        let loaded: OpaquePointer? = modelBytes.withUnsafeBytes { raw in
            spm_load_bytes(raw.baseAddress, raw.count, &err, err.count)
        }
        guard let loaded else {
            throw MoeDataError(
                "tokenizer model \(modelPath) is not a valid SentencePiece model (\(Self.message(err))); "
                    + "expected the serialized ModelProto written by spm_train or `moe-data tokenizer train`")
        }
        pointer = loaded
        self.modelPath = modelPath
    }

    deinit { spm_free(pointer) }

    var pieceCount: Int { Int(spm_piece_size(pointer)) }
    /// The special ids; negative when the model has no such piece.
    var eosId: Int32 { spm_eos_id(pointer) }
    var padId: Int32 { spm_pad_id(pointer) }
    var unkId: Int32 { spm_unk_id(pointer) }

    /// The id of `piece`, or the unk id when the model has no such piece.
    func id(of piece: String) -> Int32 {
        var piece = piece
        return piece.withUTF8 { spm_piece_to_id(pointer, $0.baseAddress, $0.count) }
    }

    /// The id of `piece`, or nil when the model has no such piece: only the unk piece itself
    /// may map to the unk id (that `id(of:)` answers for anything unknown).
    func knownId(of piece: String) -> UInt32? {
        let id = id(of: piece)
        guard id >= 0, id != unkId || self.piece(of: id) == piece else { return nil }
        return UInt32(id)
    }

    /// The piece of a model id (`0..<pieceCount`).
    func piece(of id: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = spm_id_to_piece(pointer, id, &buffer, buffer.count)
        if n > buffer.count {
            buffer = [UInt8](repeating: 0, count: n)
            _ = spm_id_to_piece(pointer, id, &buffer, buffer.count)
        }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    /// ModelProto's piece type: 0 normal or user-defined, 1 unknown, 2 control, 4 unused, 6 byte.
    func pieceType(of id: Int32) -> Int32 { spm_piece_type(pointer, id) }

    func encode(utf8 bytes: UnsafeRawBufferPointer) throws -> [UInt32] {
        // Without normalization a text of n bytes has at most n + 1 ids (byte fallback gives one
        // id per byte, plus the dummy-prefix space); NFKC can expand text, hence the retry.
        var capacity = bytes.count + 16
        while true {
            var count = 0
            var err = [CChar](repeating: 0, count: 256)
            let result: [UInt32]? = try withUnsafeTemporaryAllocation(of: UInt32.self, capacity: capacity) { scratch in
                let rc = spm_encode(
                    pointer, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count,
                    scratch.baseAddress, scratch.count, &count, &err, err.count)
                guard rc == 0 else {
                    throw MoeDataError("tokenizer \(modelPath): encoding failed: \(Self.message(err))")
                }
                guard count <= scratch.count else { return nil }
                return Array(UnsafeBufferPointer(rebasing: scratch[0..<count]))
            }
            if let result { return result }
            capacity = count
        }
    }

    /// Decodes model ids (every one below `pieceCount`) to text.
    func decode(_ ids: ArraySlice<UInt32>) throws -> String {
        guard !ids.isEmpty else { return "" }
        var capacity = ids.count * 8 + 16
        while true {
            var count = 0
            var err = [CChar](repeating: 0, count: 256)
            let result: String? = try ids.withUnsafeBufferPointer { idBuffer in
                try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { scratch in
                    let rc = spm_decode(
                        pointer, idBuffer.baseAddress, idBuffer.count,
                        UnsafeMutableRawPointer(scratch.baseAddress)?.assumingMemoryBound(to: CChar.self),
                        scratch.count, &count, &err, err.count)
                    guard rc == 0 else {
                        throw MoeDataError("tokenizer \(modelPath): decoding failed: \(Self.message(err))")
                    }
                    guard count <= scratch.count else { return nil }
                    return String(decoding: UnsafeBufferPointer(rebasing: scratch[0..<count]), as: UTF8.self)
                }
            }
            if let result { return result }
            capacity = count
        }
    }

    /// The text of a NUL-terminated error buffer the shim filled.
    static func message(_ err: [CChar]) -> String {
        let bytes = err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
