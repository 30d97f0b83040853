import Foundation
import JSON
import Testing

@testable import MoeData

/// Kill an ingest child at a named step (fault points, no timing), run it again, and compare with an
/// uninterrupted run byte for byte.
@Suite(.serialized) struct IngestResumeTests {
    /// About 1 MB of real prose in two JSONL files; 32 KiB shards give ~40 commits.
    func corpus(_ dir: URL) throws {
        let lines = try TestSupport.realLines(3000)
        for f in 0..<2 {
            var out = ""
            for rep in 0..<2 {
                for (i, l) in lines.enumerated() where (i + rep + f) % 3 != 0 {
                    out += "{\"text\": \(TestSupport.jsonString("\(rep) \(l)")), \"n\": \(i)}\n"
                }
            }
            try out.write(to: dir.appendingPathComponent("part\(f).jsonl"), atomically: true, encoding: .utf8)
        }
    }

    func manifest(_ dir: URL, _ name: String) throws -> String {
        try TestSupport.jsonlManifest(dir, name, pattern: "part*.jsonl", shardSize: "32KiB")
    }

    /// Inode and modification time: a shard rewritten, even with the same bytes, changes one of them.
    func identity(_ url: URL) throws -> [String] {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        let date = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
        return ["\(attributes[.systemFileNumber] ?? "none")", "\(date)"]
    }

    @Test func rerunAfterAKillAtTheFifthCommitResumesAndWritesTheSameBytes() throws {
        let dir = try TestSupport.tempDir("kill")
        defer { try? FileManager.default.removeItem(at: dir) }
        try corpus(dir)
        let reference = try manifest(dir, "reference")
        let full = try TestSupport.moeData(["ingest", reference, "--quiet", "--jobs", "2"])
        #expect(full.status == 0, "\(full.stderr)")

        let killed = try manifest(dir, "killed")
        let out = dir.appendingPathComponent("killed/out")
        let first = try TestSupport.moeData(
            ["ingest", killed, "--quiet", "--jobs", "1"],
            environment: ["MOE_DATA_FAULT": "ingest.shard.committed:5"])
        #expect(first.signaled, "the fault point must kill the child at its 5th commit: \(first.stderr)")
        #expect(first.stderr.contains("fault point ingest.shard.committed (hit 5)"))
        let state = try #require(try Catalog.openExisting(outputDirectory: out.path).sourceState("a"))
        let cursor = try #require(state.cursor, "no committed cursor after five commits")
        #expect(state.status == "in_progress")
        #expect(state.shards.count == 5)
        #expect(cursor.totals.documents > 0)
        #expect(cursor.position > RecordPosition(fileIndex: 0, record: 0))
        let committed = state.shards.map {
            out.appendingPathComponent("tokens/a/" + ($0.zipBasename ?? $0.rawBasename))
        }
        let before = try committed.map(identity)

        let rerun = try TestSupport.moeData(["ingest", killed, "--jobs", "2"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stderr.contains("resuming a after \(cursor.totals.documents) documents"), "\(rerun.stderr)")
        let recorded = try Catalog.openExisting(outputDirectory: out.path).value("ingest.resumed.a")
        let detail = try JSONValue.parse(Data(try #require(recorded, "the catalog does not record the resume").utf8))
        #expect(detail["documents"] == .int(Int64(cursor.totals.documents)))
        #expect(detail["shards"] == .int(5))
        // The shards committed before the kill were kept, not rewritten.
        #expect(try committed.map(identity) == before, "a committed shard was rewritten: the rerun restarted")

        let a = try TestSupport.tree(dir.appendingPathComponent("reference/out/tokens"))
        let b = try TestSupport.tree(out.appendingPathComponent("tokens"))
        #expect(a.count > 20)
        #expect(a.keys.sorted() == b.keys.sorted())
        for key in a.keys.sorted() { #expect(a[key] == b[key], "\(key) differs from the uninterrupted run's") }
    }

    /// Killed with the first shard on disk but before its commit: there is no cursor (not a made-up one at
    /// the start), the rerun starts from nothing without claiming a resume, and rewrites the same bytes.
    @Test func aKillBeforeTheFirstCommitLeavesNoCursor() throws {
        let dir = try TestSupport.tempDir("kill0")
        defer { try? FileManager.default.removeItem(at: dir) }
        try corpus(dir)
        let reference = try manifest(dir, "reference")
        #expect(try TestSupport.moeData(["ingest", reference, "--quiet"]).status == 0)
        let killed = try manifest(dir, "killed")
        let out = dir.appendingPathComponent("killed/out")
        let first = try TestSupport.moeData(
            ["ingest", killed, "--quiet"],
            environment: ["MOE_DATA_FAULT": "ingest.shard.written"])
        #expect(first.signaled, "\(first.stderr)")
        let state = try #require(try Catalog.openExisting(outputDirectory: out.path).sourceState("a"))
        #expect(state.cursor == nil)
        #expect(state.shards.isEmpty)
        let rerun = try TestSupport.moeData(["ingest", killed])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(!rerun.stderr.contains("resuming"))
        #expect(try Catalog.openExisting(outputDirectory: out.path).value("ingest.resumed.a") == nil)
        #expect(
            try TestSupport.tree(dir.appendingPathComponent("reference/out/tokens"))
                == (try TestSupport.tree(out.appendingPathComponent("tokens"))))
    }

    @Test func aSecondRunReusesFinishedSources() throws {
        let dir = try TestSupport.tempDir("reuse")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestSupport.realLines(100).map { "{\"text\": \(TestSupport.jsonString($0))}" }.joined(separator: "\n")
            .write(to: dir.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        let m = try TestSupport.manifest(
            in: dir,
            sources: "  - {name: a, format: jsonl, paths: [a.jsonl], domain: web}\n")
        #expect(try TestSupport.moeData(["ingest", m]).status == 0)
        let second = try TestSupport.moeData(["ingest", m])
        #expect(second.status == 0)
        #expect(second.stdout.contains("(up to date)"))
    }
}
