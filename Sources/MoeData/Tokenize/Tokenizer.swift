import CSentencePiece
import Foundation
import MDS

/// Interim tokenizer over libsentencepiece (the tokenizer branch provides the full type).
public final class Tokenizer: @unchecked Sendable {
    let processor: OpaquePointer
    public let modelPath: String
    public let sentinelCount: Int
    public let pieceCount: Int
    public let modelHash: String

    public init(modelPath: String, sentinelCount: Int = 300) throws {
        guard let bytes = FileManager.default.contents(atPath: modelPath) else {
            throw MoeDataError("\(modelPath): cannot read the tokenizer model (no such file, or not readable)")
        }
        var err = [CChar](repeating: 0, count: 512)
        guard let p = bytes.withUnsafeBytes({ spm_load_bytes($0.baseAddress, $0.count, &err, err.count) }) else {
            throw MoeDataError("\(modelPath): not a SentencePiece model: \(String(cString: err))")
        }
        processor = p
        self.modelPath = modelPath
        self.sentinelCount = sentinelCount
        pieceCount = Int(spm_piece_size(p))
        modelHash = XXH64.hex(XXH64.hash(bytes))
    }

    deinit { spm_free(processor) }

    public var vocabSize: Int { pieceCount + sentinelCount }
    public var paddedVocabSize: Int { (vocabSize + 127) / 128 * 128 }
    public var eosId: UInt32 { UInt32(max(0, spm_eos_id(processor))) }
    public var padId: UInt32 { UInt32(max(0, spm_pad_id(processor))) }
    public func sentinel(_ k: Int) -> UInt32 { UInt32(vocabSize - 1 - k) }

    public func encode(utf8 bytes: UnsafeRawBufferPointer) throws -> [UInt32] {
        var cap = max(16, bytes.count / 2 + 16)
        while true {
            var out = [Int32](repeating: 0, count: cap)
            var n = 0
            var err = [CChar](repeating: 0, count: 256)
            let empty: [CChar] = [0]
            let rc = empty.withUnsafeBufferPointer { e in
                spm_encode(processor, bytes.baseAddress?.assumingMemoryBound(to: CChar.self) ?? e.baseAddress, bytes.count,
                           &out, cap, &n, &err, err.count)
            }
            if rc != 0 { throw MoeDataError("sentencepiece encode failed: \(String(cString: err))") }
            if n <= cap { return out[0..<n].map { UInt32(bitPattern: $0) } }
            cap = n
        }
    }

    public func pieceId(_ piece: String) -> UInt32? {
        let id = piece.withCString { spm_piece_to_id(processor, $0, strlen($0)) }
        return id >= 0 && id != spm_unk_id(processor) ? UInt32(id) : nil
    }

    public func encode(_ text: String) throws -> [UInt32] {
        var t = text
        return try t.withUTF8 { try encode(utf8: UnsafeRawBufferPointer($0)) }
    }
}
