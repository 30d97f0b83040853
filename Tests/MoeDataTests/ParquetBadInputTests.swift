import Foundation
import MoeTestSupport
import Testing

@testable import MoeData

/// Damaged Parquet files, one test each: none crashes. A file whose footer or schema cannot serve is
/// a file error (under `fail`, the error); a damaged page loses the rest of its row group, row by
/// row: under `skip` every row is counted (documents in = out + skipped), under `fail` the error
/// names the file, row group, column and page offset with the reason.
@Suite(.serialized) struct ParquetBadInputTests {
    /// The `clean` set: 120 rows in row groups of 10, snappy (or `compression`), dictionary.
    static let rows = 120

    struct Case {
        let dir: URL
        let file: URL
        var damage: ParquetDamage

        init(_ label: String, compression: String = "snappy") throws {
            dir = try TestSupport.tempDir("parquet-bad-\(label)")
            try ParquetFixtures.make("clean", in: dir, rows: ParquetBadInputTests.rows)
            file = dir.appendingPathComponent("parquet/small.parquet")
            if compression != "snappy" {
                let r = try Python.run("""
                    import sys, pyarrow.parquet as pq
                    t = pq.read_table(sys.argv[1])
                    pq.write_table(t, sys.argv[1], row_group_size=10, compression=sys.argv[2])
                    """, [file.path, compression])
                #expect(r.status == 0, "\(r.stderr)")
            }
            damage = try ParquetDamage(file)
        }

        /// Content is leaf 1 (after id).
        static let content = 1

        func save() throws { try damage.write(file) }

        func ingest(_ onError: String, textField: String = "content") throws -> ChildProcess.Output {
            try ParquetFixtures.ingest(dir, name: onError, format: "parquet", folder: "parquet", onError: onError,
                                       textField: textField)
        }

        /// Under skip: no file error, and every row is a document or a skip. Under fail: an error
        /// with the file, row group 1, the column, a page offset and `reason`.
        func expectRowGroupOneLost(_ reason: String) throws {
            let skip = try ingest("skip")
            #expect(skip.status == 0, "\(skip.stderr)")
            let stats = try ParquetFixtures.stats(dir, "skip")
            let source = try #require(stats.sources.first)
            #expect(source.fileErrors == 0)
            #expect(source.documents + source.skipped == ParquetBadInputTests.rows)
            // Every skip is a row of row group 1 (rows 11 to 20; the clean set has no other skip),
            // and carries the fault's place and reason.
            #expect(source.skipped >= 1 && source.skipped <= 10, "\(source.skipped) skipped")
            let lost = stats.skipReasons.filter { $0.reason.contains("row group 1") && $0.reason.contains(reason) }
            #expect(lost.map(\.count).reduce(0, +) == source.skipped, "\(stats.skipReasons.map(\.reason))")
            let fail = try ingest("fail")
            #expect(fail.status != 0 && !fail.signaled)
            for part in ["small.parquet:11", "row group 1", "column 'content'", "page at byte", reason] {
                #expect(fail.stderr.contains(part), "\(part) missing from: \(fail.stderr)")
            }
        }

        /// A file error under skip, and under fail an error naming the file with `reason`.
        func expectFileError(_ reason: String, textField: String = "content") throws {
            let skip = try ingest("skip", textField: textField)
            #expect(skip.status == 0 && !skip.signaled, "\(skip.stderr)")
            let stats = try ParquetFixtures.stats(dir, "skip")
            #expect(stats.sources.first?.fileErrors == 1)
            #expect(stats.skipReasons.contains { $0.reason.contains(reason) }, "\(stats.skipReasons.map(\.reason))")
            let fail = try ingest("fail", textField: textField)
            #expect(fail.status != 0 && !fail.signaled)
            #expect(fail.stderr.contains("small.parquet") && fail.stderr.contains(reason), "\(fail.stderr)")
        }
    }

    @Test func badMagic() throws {
        var c = try Case("magic")
        defer { TempFolder.remove(c.dir) }
        c.damage.bytes.replaceSubrange(0..<4, with: Array("PAR0".utf8))
        try c.save()
        try c.expectFileError("bad magic")
    }

    @Test func truncatedFooter() throws {
        var c = try Case("footer")
        defer { TempFolder.remove(c.dir) }
        let half = c.damage.footerLength / 2
        let kept = Array(c.damage.bytes[..<(c.damage.footerStart + half)])
        c.damage.bytes = kept + withUnsafeBytes(of: UInt32(half).littleEndian, Array.init) + Array("PAR1".utf8)
        try c.save()
        try c.expectFileError("footer: malformed Thrift metadata")
    }

    @Test func footerLengthPastTheFile() throws {
        var c = try Case("footer-length")
        defer { TempFolder.remove(c.dir) }
        let n = c.damage.bytes.count
        c.damage.bytes.replaceSubrange((n - 8)..<(n - 4), with: withUnsafeBytes(of: UInt32(n).littleEndian, Array.init))
        try c.save()
        try c.expectFileError("the footer length \(n) does not fit")
    }

    /// The chunk's recorded size is one byte short: its last page runs past the chunk's end.
    @Test func truncatedPage() throws {
        var c = try Case("truncated-page")
        defer { TempFolder.remove(c.dir) }
        let at = try c.damage.columnMetaField(rowGroup: 1, column: Case.content, field: 7)
        c.damage.setVarint(at: at, to: c.damage.varint(at: at) - 1)
        try c.save()
        try c.expectRowGroupOneLost("run past the end of the column chunk")
    }

    /// The first page says it is 40 bytes shorter than it is: its snappy data is cut.
    @Test func pageWhoseCompressedSizeLies() throws {
        var c = try Case("size-lies")
        defer { TempFolder.remove(c.dir) }
        let page = try c.damage.firstPage(rowGroup: 1, column: Case.content)
        c.damage.setVarint(at: page.field, to: Int64(page.body.count - 40))
        try c.save()
        try c.expectRowGroupOneLost("snappy")
    }

    /// 24 bytes of 0xFF in the middle of the compressed text: copies with impossible offsets.
    @Test func corruptSnappyBlock() throws {
        try Self.overwriteTextPage("snappy", at: { $0.count / 2 }, count: 24, expecting: "corrupt snappy data")
    }

    /// 0xFF over the frame header after the magic: reserved bits set.
    @Test func corruptZstdBlock() throws {
        try Self.overwriteTextPage("zstd", at: { _ in 4 }, count: 12, expecting: "corrupt zstd data")
    }

    /// Writes `count` bytes of 0xFF at `at(body)` into the first text page of row group 1.
    static func overwriteTextPage(
        _ codec: String, at: (Range<Int>) -> Int, count: Int, expecting reason: String
    ) throws {
        var c = try Case(codec, compression: codec)
        defer { TempFolder.remove(c.dir) }
        let page = try c.damage.firstPage(rowGroup: 1, column: Case.content)
        let from = page.body.lowerBound + at(page.body)
        c.damage.bytes.replaceSubrange(from..<(from + count), with: [UInt8](repeating: 0xFF, count: count))
        try c.save()
        try c.expectRowGroupOneLost(reason)
    }

    @Test func missingTextColumn() throws {
        let c = try Case("missing-column")
        defer { TempFolder.remove(c.dir) }
        try c.expectFileError("no column 'body' (the file's columns: id, content, lang", textField: "body")
    }

    @Test func textColumnThatIsNotByteArray() throws {
        let c = try Case("not-byte-array")
        defer { TempFolder.remove(c.dir) }
        try c.expectFileError("text column 'size' is INT64, not BYTE_ARRAY", textField: "size")
    }

    @Test func unsupportedCodec() throws {
        let c = try Case("brotli", compression: "brotli")
        defer { TempFolder.remove(c.dir) }
        try c.expectFileError("compression codec BROTLI is not supported")
    }

    /// Text that is not UTF-8 (a BYTE_ARRAY column without the STRING type may hold any bytes):
    /// under skip a counted skip naming the row group and column, under fail an error naming the
    /// file and row too. The source is given as a glob.
    @Test func invalidUTF8TextIsACountedSkipNamingItsPlace() throws {
        let dir = try TestSupport.tempDir("parquet-bad-utf8")
        defer { TempFolder.remove(dir) }
        if let missing = try Python.missing(ParquetFixtures.requirements) { Issue.record("\(missing)"); return }
        let folder = dir.appendingPathComponent("parquet")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let r = try Python.run("""
            import sys, pyarrow as pa, pyarrow.parquet as pq
            texts = [b"a fine text, number %d" % i for i in range(12)]
            texts[7] = b"not \\xff\\xfe UTF-8"
            pq.write_table(pa.table({"content": pa.array(texts, pa.binary())}), sys.argv[1], row_group_size=5)
            """, [folder.appendingPathComponent("bytes.parquet").path])
        #expect(r.status == 0, "\(r.stderr)")
        let skip = try ParquetFixtures.ingest(dir, name: "skip", format: "parquet", folder: "parquet/*.parquet")
        #expect(skip.status == 0, "\(skip.stderr)")
        let stats = try ParquetFixtures.stats(dir, "skip")
        #expect(stats.sources.first?.documents == 11 && stats.sources.first?.skipped == 1)
        let reasons = stats.skipReasons.map(\.reason)
        #expect(reasons.count == 1 && reasons.allSatisfy {
            $0.contains("invalid UTF-8") && $0.contains("column 'content'") && $0.contains("row group 1")
        }, "\(reasons)")
        let fail = try ParquetFixtures.ingest(dir, name: "fail", format: "parquet", folder: "parquet/*.parquet",
                                              onError: "fail")
        #expect(fail.status != 0 && !fail.signaled)
        for part in ["bytes.parquet:8", "row group 1", "column 'content'", "invalid UTF-8"] {
            #expect(fail.stderr.contains(part), "\(part) missing from: \(fail.stderr)")
        }
    }
}
