// libFuzzer harness: MDS's ZstdStreamDecoder as its two users drive it, on the same bytes: the
// file reader ingest uses for .jsonl.zst (ZstdByteSource: file reads, refills, truncation at end
// of file) and the whole-buffer Zstd.decompress of shards (output limit, one input buffer). Both
// must end in data or a thrown error; when both succeed they must agree byte for byte.
import Foundation
import MDS

/// Output read per input before stopping: a few KB of zstd can expand to gigabytes. 1 MB is past
/// every buffer boundary of both decoders (128 KB blocks) and keeps the harness fast under ASan.
let outputCap = 1 << 20

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let path = FuzzScratch.write(input, to: "input.jsonl.zst")
    var streamed: [UInt8]? = []
    do {
        var source = try ZstdByteSource(path: path)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            streamed?.append(contentsOf: chunk[0..<n])
            if (streamed?.count ?? 0) > outputCap { streamed = nil; break }
        }
    } catch {
        streamed = nil
    }
    // Zstd.decompress keeps the whole output in memory, so a frame that expands without bound
    // (or a header that claims a huge size) shows up here as a malloc or RSS limit report.
    let whole = try? Zstd.decompress(input, limit: outputCap)
    if let streamed, let whole, size > 0, streamed != whole {
        fatalError("stream reader and Zstd.decompress disagree: \(streamed.count) vs \(whole.count) bytes")
    }
    return 0
}
