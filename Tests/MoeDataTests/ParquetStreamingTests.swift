import Foundation
import MoeTestSupport
import Parquet
import Testing

@testable import MoeData

/// A column chunk is read page by page, not whole: memory stays at about one page however large
/// the row group. (Reading the whole chunk, the first version held 12 MB here, and a row group of
/// a few GB would have held them all.)
@Suite struct ParquetStreamingTests {
    /// A file in memory that remembers its largest single read.
    final class ReadRecorder: ParquetInput {
        let file: InMemoryInput
        private(set) var largestRead = 0

        init(_ bytes: [UInt8]) { file = InMemoryInput(bytes) }

        var size: Int { file.size }

        func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            largestRead = max(largestRead, buffer.count)
            return try file.read(at: offset, into: buffer)
        }
    }

    @Test func aRowGroupOf12MBIsReadOnePageAtATime() throws {
        let dir = try TestSupport.tempDir("parquet-streaming")
        defer { TempFolder.remove(dir) }
        if let missing = try Python.missing(ParquetFixtures.requirements) { Issue.record("\(missing)"); return }
        let path = dir.appendingPathComponent("big.parquet").path
        // 1,000 random texts of 12,000 letters, uncompressed, in one row group of ~1 MiB pages
        // (pyarrow checks the page size every `write_batch_size` rows).
        let r = try Python.run("""
            import random, sys, pyarrow as pa, pyarrow.parquet as pq
            rng = random.Random(14)
            texts = ["".join(rng.choice("abcdefghij ") for _ in range(12000)) for _ in range(1000)]
            pq.write_table(pa.table({"content": texts}), sys.argv[1], row_group_size=1000, compression="none",
                           use_dictionary=False, data_page_size=1 << 20, write_batch_size=16)
            """, [path])
        #expect(r.status == 0, "\(r.stderr)")
        let input = ReadRecorder(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let file = try ParquetFile(input: input)
        #expect(file.rowGroupCount == 1)
        let (_, chunk) = try file.chunk(rowGroup: 0, column: 0)
        #expect(chunk.count > 12_000_000)
        var cursor = try ColumnCursor(file: file, input: input, rowGroup: 0, column: 0, decompressor: ParquetCodecs(),
                                      maxPageBytes: 1 << 30)
        var rows = 0, textBytes = 0
        for _ in 0..<file.rows(inRowGroup: 0) {
            textBytes += try cursor.withNext { value -> Int in
                guard case .bytes(let bytes) = value else { return -1 }
                return bytes.count
            }
            rows += 1
        }
        #expect(rows == 1000 && textBytes == 12_000_000)
        // At most one page and its header: 1 MiB, plus the batch of 16 texts (4 + 12,000 bytes each)
        // that crossed it, plus the 4 KiB first guess at the next header.
        let onePage = (1 << 20) + 16 * 12_004 + 4096
        #expect(input.largestRead > 0 && input.largestRead <= onePage, "largest read \(input.largestRead) bytes")
    }
}
