import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeData

/// Parquet with the rest of the pipeline: row groups as the split of a partitioned ingest, resume
/// inside a file after a kill, and `tokenizer train --manifest` sampling Parquet sources.
@Suite(.serialized) struct ParquetTaskTests {
    /// 200 rows in row groups of 10 (snappy, dictionary), and the same rows as JSONL.
    func corpus(_ label: String) throws -> URL {
        let dir = try TestSupport.tempDir(label)
        try ParquetFixtures.make("small", in: dir, rows: 200)
        return dir
    }

    @Test func aParquetSourceSplitOverNTasksGivesTheOneProcessDocuments() throws {
        let dir = try corpus("parquet-tasks")
        defer { TempFolder.remove(dir) }
        let one = try ParquetFixtures.ingest(dir, name: "one", format: "parquet", folder: "parquet", keep: ["lang"])
        #expect(one.status == 0, "\(one.stderr)")
        let expected = try ParquetFixtures.documents(dir, "one")
        #expect(expected.count > 150)
        let file = dir.appendingPathComponent("parquet/small.parquet").path
        guard case .rowGroups(let starts) = IngestPartition.Kind.of(path: file, format: .parquet) else {
            Issue.record("a Parquet file of 20 row groups must split at row groups")
            return
        }
        #expect(starts.count == 20 && starts.first == 0)
        for n in [2, 3, 5] {
            let name = "n\(n)"
            // The manifest of `name` (written by a one-task ingest's helper), run as n tasks.
            let sub = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let manifest = try TestSupport.manifest(
                in: sub, shardSize: "256KiB",
                sources: """
                      - {name: docs, format: parquet, paths: ["\(dir.path)/parquet"], text_field: content,
                         domain: code, keep: [lang]}
                    """)
            var documentsPerTask: [Int] = []
            for i in (0..<n).reversed() {
                let r = try TestSupport.moeData(["ingest", manifest, "--task", "\(i)", "--tasks", "\(n)", "--jobs", "1",
                                                 "--quiet"])
                #expect(r.status == 0, "N=\(n) task \(i): \(r.stderr)")
                let done = try IngestTaskDone.read(
                    path: IngestTaskFiles(outputDirectory: sub.appendingPathComponent("out").path).donePath(i))
                documentsPerTask.append(done?.documents ?? 0)
            }
            #expect(documentsPerTask.allSatisfy { $0 > 0 }, "N=\(n): every task reads row groups: \(documentsPerTask)")
            let m = try TestSupport.moeData(["merge", sub.appendingPathComponent("out").path, "--quiet"])
            #expect(m.status == 0, "\(m.stderr)")
            #expect(try ParquetFixtures.documents(dir, name) == expected, "N=\(n)")
            let stats = try ParquetFixtures.stats(dir, name), reference = try ParquetFixtures.stats(dir, "one")
            #expect(stats.sources.map(\.documents) == reference.sources.map(\.documents))
            #expect(stats.sources.map(\.skipped) == reference.sources.map(\.skipped))
        }
    }

    /// Killed at its third shard commit (inside the file, 32 KiB shards), the rerun resumes at the
    /// cursor's row and writes the same token shards as an uninterrupted run.
    @Test func aKilledIngestResumesInsideTheFile() throws {
        let dir = try corpus("parquet-resume")
        defer { TempFolder.remove(dir) }
        func manifest(_ name: String) throws -> String {
            let sub = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            return try TestSupport.manifest(
                in: sub, shardSize: "32KiB",
                sources: """
                      - {name: docs, format: parquet, paths: ["\(dir.path)/parquet"], text_field: content,
                         domain: code, keep: [lang, size]}
                    """)
        }
        let full = try TestSupport.moeData(["ingest", try manifest("reference"), "--quiet", "--jobs", "2"])
        #expect(full.status == 0, "\(full.stderr)")
        let killed = try manifest("killed")
        let first = try TestSupport.moeData(["ingest", killed, "--quiet", "--jobs", "1"],
                                            environment: ["MOE_DATA_FAULT": "ingest.shard.committed:3"])
        #expect(first.signaled, "\(first.stderr)")
        let out = dir.appendingPathComponent("killed/out")
        let state = try #require(try Catalog.openExisting(outputDirectory: out.path).sourceState("docs"))
        let cursor = try #require(state.cursor)
        #expect(cursor.position.fileIndex == 0 && cursor.position.record > 1, "\(cursor.position)")
        let rerun = try TestSupport.moeData(["ingest", killed, "--jobs", "2"])
        #expect(rerun.status == 0 && rerun.stderr.contains("resuming docs"), "\(rerun.stderr)")
        let a = try TestSupport.tree(dir.appendingPathComponent("reference/out/tokens"))
        let b = try TestSupport.tree(out.appendingPathComponent("tokens"))
        #expect(a.count > 6 && a == b)
    }

    /// The tokenizer's sample of a Parquet source is the sample of its JSONL export: same model bytes.
    @Test func tokenizerTrainSamplesAParquetSourceAsItsJSONLExport() throws {
        let dir = try corpus("parquet-tokenizer")
        defer { TempFolder.remove(dir) }
        var models: [Data] = []
        for (format, folder) in [("parquet", "parquet"), ("jsonl", "jsonl")] {
            let sub = dir.appendingPathComponent("train-\(format)")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let manifest = try TestSupport.manifest(
                in: sub,
                sources: """
                      - {name: docs, format: \(format), paths: ["\(dir.path)/\(folder)"], text_field: content,
                         domain: code}
                    """)
            let model = sub.appendingPathComponent("trained.model").path
            let r = try TestSupport.moeData([
                "tokenizer", "train", "-o", model, "--manifest", manifest, "--vocab-size", "600",
                "--sample-bytes", "1M", "--threads", "2",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            models.append(try Data(contentsOf: URL(fileURLWithPath: model)))
        }
        #expect(models.count == 2 && models[0] == models[1] && models[0].count > 1000)
    }

    /// `plan` sizes a Parquet source from its footer (the text column's uncompressed size, with its
    /// 4-byte length prefixes and page headers) and the bytes per token measured on its first 1 MiB
    /// of texts. Here the texts (60 rows, no nulls) are under 1 MiB, so the measure covers them all
    /// and the estimate is exact: footer size / (text bytes / tokens ingested), to the token.
    @Test func planEstimatesAParquetSourceFromItsFooter() throws {
        let dir = try TestSupport.tempDir("parquet-plan")
        defer { TempFolder.remove(dir) }
        try ParquetFixtures.make("clean", in: dir, rows: 60)
        let sizes = try Python.run("""
            import sys, pyarrow.parquet as pq
            f = pq.ParquetFile(sys.argv[1])
            c = f.schema_arrow.get_field_index("content")
            footer = sum(f.metadata.row_group(g).column(c).total_uncompressed_size for g in range(f.num_row_groups))
            text = sum(len(t.encode("utf-8")) for t in f.read(columns=["content"]).column(0).to_pylist())
            print(footer, text)
            """, [dir.appendingPathComponent("parquet/small.parquet").path])
        let numbers = sizes.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        #expect(sizes.status == 0 && numbers.count == 2, "\(sizes.stderr)")
        let (footerBytes, textBytes) = (numbers.first ?? 0, numbers.last ?? 0)
        #expect(textBytes > 500_000 && textBytes < 1 << 20 && footerBytes > textBytes, "\(numbers)")
        let manifest = try TestSupport.manifest(
            in: dir,
            sources: """
                  - {name: docs, format: parquet, paths: ["\(dir.path)/parquet"], text_field: content,
                     domain: code, keep: [lang, max_stars_repo_path]}
                """)
        let mixture = dir.appendingPathComponent("mix.yaml")
        try """
        name: one
        total_tokens: 1000
        phases:
          - {name: only, budget: 1000, weights: {docs: 1}, objective: {type: causal}}
        """.write(to: mixture, atomically: true, encoding: .utf8)
        let plan = try TestSupport.moeData(["plan", manifest, "--mixture", mixture.path])
        #expect(plan.status == 0 && plan.stdout.contains("measured on ~1 MiB with the model"), "\(plan.stdout)")
        let line = plan.stdout.split(separator: "\n").first { $0.drop { $0 == " " }.hasPrefix("docs ") }
        let estimate = line.flatMap { $0.split(separator: " ").first { $0.hasPrefix("~") } }
            .flatMap { Int($0.dropFirst().replacingOccurrences(of: ",", with: "")) }
        let guess = try #require(estimate, "\(plan.stdout)")
        let ingest = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let out = dir.appendingPathComponent("out").path
        let stats = try CatalogStats.load(try Catalog.openExisting(outputDirectory: out))
        let exact = try #require(stats.sources.first?.tokens)
        #expect(try #require(stats.sources.first?.skipped) == 0)
        let bytesPerToken = Double(textBytes) / Double(exact)
        #expect(guess == Int((Double(footerBytes) / bytesPerToken).rounded()),
                "estimate \(guess), ingested \(exact) tokens of \(textBytes) bytes, footer \(footerBytes) bytes")
        #expect(plan.stdout.contains(String(format: "%.2f bytes per token", bytesPerToken)), "\(plan.stdout)")
    }
}
