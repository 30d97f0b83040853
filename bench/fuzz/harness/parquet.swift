// libFuzzer harness: the Parquet target on untrusted bytes: the footer (magic, length, Thrift
// compact metadata, schema tree, row group checks), then every flat column of every row group
// read value by value (page headers, levels, PLAIN, dictionary, delta and byte-stream-split
// decoding). Pages must be UNCOMPRESSED here (the codecs are C libraries with their own
// fuzzing); a compressed chunk is refused as the reader refuses any unsupported codec. Every
// input must end in values or a thrown ParquetError; a page may claim at most 1 MiB.
import Foundation
import Parquet

struct UncompressedOnly: PageDecompressor {
    let supported: Set<CompressionCodec> = [.uncompressed]
    func decompress(_ codec: CompressionCodec, _ input: UnsafeRawBufferPointer,
                    into output: UnsafeMutableRawBufferPointer) throws {
        throw ParquetError("codec \(codec) is not fuzzed")
    }
}

/// Reads every byte of a value, so the sanitizer sees any read out of bounds.
func touch(_ value: ParquetValue) -> Int {
    switch value {
    case .bytes(let b), .int96(let b): return b.reduce(0) { $0 &+ Int($1) }
    case .int32(let i): return Int(i)
    case .int64(let i): return Int(truncatingIfNeeded: i)
    case .boolean(let b): return b ? 1 : 0
    case .float, .double, .null: return 0
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = InMemoryInput(Array(UnsafeBufferPointer(start: data, count: size)))
    guard let file = try? ParquetFile(input: input) else { return 0 }
    _ = file.rowGroupStarts
    var budget = 200_000, sum = 0
    for g in 0..<min(file.rowGroupCount, 64) {
        for c in file.schema.leaves.indices where file.schema.leaves[c].isFlat {
            guard var cursor = try? ColumnCursor(file: file, input: input, rowGroup: g, column: c,
                                                 decompressor: UncompressedOnly(), maxPageBytes: 1 << 20)
            else { continue }
            for _ in 0..<min(file.rows(inRowGroup: g), budget) {
                budget -= 1
                do { sum &+= try cursor.withNext(touch) } catch { break }
            }
        }
    }
    return sum == 42 ? 0 : 0
}
