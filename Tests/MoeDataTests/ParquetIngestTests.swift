import Foundation
import JSON
import MDS
import MoeTestSupport
import Testing

@testable import MoeData

/// `format: parquet` against real writers: every file of the `equivalence` set (every codec, page
/// v1 and v2, dictionary on and off, the delta and byte-stream-split encodings, tiny and large row
/// groups, an empty row group, a 0-row file, a 20 MB value, non-ASCII text, duckdb's writer)
/// ingests to the documents and token ids of the same rows exported to JSONL by pyarrow.
@Suite(.serialized) struct ParquetIngestTests {
    static let keep = ["lang", "max_stars_repo_path", "size", "stars", "avg", "ratio", "flag"]

    @Test func everyWriterSettingGivesTheDocumentsOfItsJSONLExport() throws {
        let dir = try TestSupport.tempDir("parquet-eq")
        defer { TempFolder.remove(dir) }
        try ParquetFixtures.make("equivalence", in: dir)
        let p = try ParquetFixtures.ingest(dir, name: "pq", format: "parquet", folder: "parquet", keep: Self.keep)
        #expect(p.status == 0, "\(p.stderr)")
        let j = try ParquetFixtures.ingest(dir, name: "js", format: "jsonl", folder: "jsonl", keep: Self.keep)
        #expect(j.status == 0, "\(j.stderr)")
        let parquet = try ParquetFixtures.documents(dir, "pq"), jsonl = try ParquetFixtures.documents(dir, "js")
        #expect(parquet.count > 900, "\(parquet.count) documents")
        let firstDifference = zip(parquet, jsonl).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(parquet == jsonl,
                "\(parquet.count) vs \(jsonl.count); first difference: \(String(describing: firstDifference))")
        // The 20 MB value is one document; null texts are skips, counted alike.
        #expect(parquet.contains { $0.hasPrefix("j_twenty_mb_value:2 ") })
        let ps = try ParquetFixtures.stats(dir, "pq"), js = try ParquetFixtures.stats(dir, "js")
        #expect(ps.sources.map(\.documents) == js.sources.map(\.documents))
        #expect(ps.sources.map(\.skipped) == js.sources.map(\.skipped) && (ps.sources.first?.skipped ?? 0) > 40)
        #expect(ps.sources.map(\.tokens) == js.sources.map(\.tokens))
        #expect(ps.skipReasons.contains { $0.reason == "null text" })
    }

    /// With ids from a column, the token shards of both ingests are byte for byte the same.
    @Test func tokenShardsAreByteIdenticalWithIdsFromAColumn() throws {
        let dir = try TestSupport.tempDir("parquet-bytes")
        defer { TempFolder.remove(dir) }
        try ParquetFixtures.make("small", in: dir, rows: 200)
        for (name, format) in [("pq", "parquet"), ("js", "jsonl")] {
            let r = try ParquetFixtures.ingest(dir, name: name, format: format, folder: format, keep: Self.keep,
                                               idField: "id")
            #expect(r.status == 0, "\(r.stderr)")
        }
        let a = try TestSupport.tree(dir.appendingPathComponent("pq/out/tokens"))
        let b = try TestSupport.tree(dir.appendingPathComponent("js/out/tokens"))
        #expect(!a.isEmpty && a == b, "\(a.keys.sorted()) vs \(b.keys.sorted())")
    }

    /// The Stack's own columns, snappy and dictionary-encoded: `lang` and `max_stars_repo_path` kept.
    @Test func theStackShapedFileKeepsLangAndPath() throws {
        let dir = try TestSupport.tempDir("parquet-stack")
        defer { TempFolder.remove(dir) }
        try ParquetFixtures.make("stack", in: dir, rows: 100)
        let keep = ["lang", "max_stars_repo_path"]
        let r = try ParquetFixtures.ingest(dir, name: "pq", format: "parquet", folder: "parquet", keep: keep)
        #expect(r.status == 0, "\(r.stderr)")
        try ParquetFixtures.ingest(dir, name: "js", format: "jsonl", folder: "jsonl", keep: keep)
        let samples = try TestSupport.samples(dir.appendingPathComponent("pq/out/tokens/docs"))
        #expect(samples.count > 80)
        for s in samples {
            guard case .json(let meta)? = s["meta"] else { Issue.record("no meta"); continue }
            #expect(meta["lang"]?.stringValue == "Python")
            #expect(meta["max_stars_repo_path"]?.stringValue?.hasPrefix("lib/python3") == true)
            #expect(meta.objectValue?.count == 2)
        }
        #expect(try ParquetFixtures.documents(dir, "pq") == ParquetFixtures.documents(dir, "js"))
    }
}
