import Foundation
import JSON
import Testing

@testable import MoeData

/// The pipelined ingest (a thread reading ahead, encoders beside the writer) writes what the
/// one-thread ingest writes: the same shards, the same catalog counts, whatever `--jobs` is, on
/// files of many batches, with documents long enough to be cut into pieces, and bad records.
@Suite(.serialized) struct IngestPipelineTests {
    /// Two JSONL files: one of 12,000 short records (two batches: a batch holds at most 8,192), with
    /// bad lines among them; one holding two documents of over 4 MiB each (five or more pieces of
    /// 1 MiB each).
    func corpus(_ dir: URL) throws {
        let lines = try TestSupport.realLines(3000)
        var short = ""
        for i in 0..<12_000 {
            let text = TestSupport.jsonString(lines[i % lines.count])
            short += i % 997 == 5 ? "{\"text\": broken\n" : "{\"text\": \(text)}\n"
        }
        try short.write(to: dir.appendingPathComponent("a-short.jsonl"), atomically: true, encoding: .utf8)
        var long = lines.joined(separator: "\n")
        while long.utf8.count <= 4 << 20 { long += "\n" + long }
        #expect(long.utf8.count > 4 << 20, "the long documents are over 4 MiB")
        let record = "{\"text\": \(TestSupport.jsonString(long))}\n"
        try (record + "{\"text\": \"between\"}\n" + record).write(
            to: dir.appendingPathComponent("b-long.jsonl"), atomically: true, encoding: .utf8)
    }

    func manifest(_ dir: URL, _ name: String) throws -> String {
        try TestSupport.jsonlManifest(dir, name, pattern: "*.jsonl", shardSize: "256KiB")
    }

    @Test func shardsAndCountsAreTheSameForOneTwoAndFiveJobs() throws {
        let dir = try TestSupport.tempDir("ingest-pipeline")
        defer { try? FileManager.default.removeItem(at: dir) }
        try corpus(dir)
        var trees: [[String: Data]] = []
        var counts: [String] = []
        for jobs in [1, 2, 5] {
            let manifest = try manifest(dir, "jobs\(jobs)")
            let run = try TestSupport.moeData(["ingest", manifest, "--quiet", "--jobs", "\(jobs)"])
            #expect(run.status == 0, "\(run.stderr)")
            let out = dir.appendingPathComponent("jobs\(jobs)/out")
            trees.append(try TestSupport.tree(out.appendingPathComponent("tokens")))
            let catalog = try Catalog.openExisting(outputDirectory: out.path)
            let totals = try #require(try catalog.sourceState("a")?.cursor?.totals)
            counts.append("\(totals.documents) \(totals.tokens) \(totals.skipped)")
            #expect(totals.skipped == 13, "the 13 broken lines are counted: \(totals)")
            #expect(totals.documents == 12_000 - 13 + 3)
        }
        #expect(trees[0].count > 4)
        #expect(trees[1] == trees[0], "--jobs 2 wrote other shards than --jobs 1")
        #expect(trees[2] == trees[0], "--jobs 5 wrote other shards than --jobs 1")
        #expect(Set(counts).count == 1, "\(counts)")
    }

    /// The pool gives each document the ids `Tokenizer.encode` gives it, long ones cut into pieces
    /// that several threads encode.
    @Test func thePoolGivesTheTokenizersIdsForAnyNumberOfWorkers() throws {
        let tokenizer = try Tokenizer(modelPath: TestSupport.model)
        let lines = try TestSupport.realLines(400)
        var long = lines.joined(separator: "\n")
        while long.utf8.count < 2 * Tokenizer.maxEncodeBytes { long += "\n" + long }
        let texts = lines.prefix(50) + [long, "", "é"] + lines.suffix(50)
        let events = texts.enumerated().map { i, text in
            RecordEvent.document(
                Document(
                    docId: "\(i)", text: Array(text.utf8), meta: .object([:]),
                    position: RecordPosition(fileIndex: 0, record: i)))
        }
        let expected = try texts.map { try tokenizer.encode($0) }
        for workers in [0, 2] {
            let pool = EncodingPool(tokenizer: tokenizer, workers: workers)
            let first = pool.submit(Array(events.prefix(60)))
            let second = pool.submit(Array(events.dropFirst(60)))
            #expect(first.pieces.count > 60, "the long document is cut into pieces")
            let ids = try pool.finish(first) + pool.finish(second)
            pool.close()
            #expect(ids == expected, "\(workers) workers")
        }
    }
}
