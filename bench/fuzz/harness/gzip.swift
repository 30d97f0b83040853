// libFuzzer harness: the streaming gzip reader ingest uses for .jsonl.gz (GzipByteSource, zlib,
// concatenated members), read to the end or to an error through a LineReader as ingest does.
import Foundation

let outputCap = 8 << 20

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzScratch.write(UnsafeRawBufferPointer(start: data, count: size), to: "input.jsonl.gz")
    do {
        var lines = LineReader(source: try GzipByteSource(path: path), maxLineBytes: 1 << 16, chunkSize: 4096)
        var total = 0
        while let line = try lines.next(), total < outputCap {
            switch line {
            case .text(let range, _, _): total += range.count + 1
            case .tooLong(_, _, let length): total += length + 1
            }
        }
    } catch is MoeDataError {
        // A clear error naming the file and offset is the expected outcome for bad input.
    } catch {
        fatalError("unexpected error type: \(error)")
    }
    return 0
}
