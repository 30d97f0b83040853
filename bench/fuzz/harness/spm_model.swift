// libFuzzer harness: the SentencePiece model reader (SentencePieceModelFile, the protobuf wire
// reader) and what the native engine builds from a model (NativeUnigramEncoder: piece trie,
// precompiled_charsmap, byte pieces), then encodes a few texts with it. A model must load or
// throw a MoeDataError; encoding a loaded model must not crash and must give ids in range.
import Foundation

let texts = [
    "Hello, world!  Two  spaces.", "naïve café — ﬁ ① Ａ", "\u{0}\t\n\r", "<0x41> ▁▁ x",
    String(decoding: [0xFF, 0xC3, 0x28, 0xE2, 0x82, 0x41, 0xF0, 0x9F, 0x98, 0x80], as: UTF8.self),
]
let rawTexts: [[UInt8]] = [[0xFF, 0xFE, 0x41], [0xE2, 0x82], [0xC0, 0x80, 0x20, 0x20]]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    let encoder: NativeUnigramEncoder
    let pieces: Int
    do {
        let model = try SentencePieceModelFile(bytes: bytes, path: "fuzz.model")
        pieces = model.pieces.count
        encoder = try NativeUnigramEncoder(model: model, path: "fuzz.model")
    } catch is MoeDataError {
        return 0
    } catch {
        fatalError("unexpected error type: \(error)")
    }
    for text in texts {
        for id in encoder.encode(text) where Int(id) >= pieces { fatalError("id \(id) of \(pieces) pieces") }
        _ = encoder.normalize(text)
    }
    for raw in rawTexts {
        let ids = raw.withUnsafeBytes { encoder.encode(utf8: $0) }
        for id in ids where Int(id) >= pieces { fatalError("id \(id) of \(pieces) pieces") }
    }
    return 0
}
