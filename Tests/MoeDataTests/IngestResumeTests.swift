import Foundation
import Testing
@testable import MoeData

/// SIGKILL an ingest child process mid-way, run it again, and compare with an uninterrupted run.
@Suite(.serialized) struct IngestResumeTests {
    @Test func rerunAfterSIGKILLIsByteIdenticalToUninterruptedRun() throws {
        let dir = try TestSupport.tempDir("kill")
        defer { try? FileManager.default.removeItem(at: dir) }
        // ~12 MB of real prose in four files, small shards so many commits happen.
        let lines = try TestSupport.realLines(6000)
        for f in 0..<4 {
            var out = ""
            for rep in 0..<5 {
                for (i, l) in lines.enumerated() where (i + rep + f) % 3 != 0 {
                    out += "{\"text\": \(TestSupport.jsonString("\(rep) \(l)")), \"n\": \(i)}\n"
                }
            }
            try out.write(to: dir.appendingPathComponent("part\(f).jsonl"), atomically: true, encoding: .utf8)
        }
        func manifest(_ name: String) throws -> String {
            let sub = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            return try TestSupport.manifest(in: sub, shardSize: "32KiB", sources: """
              - {name: a, format: jsonl, paths: ["\(dir.path)/part*.jsonl"], domain: web}
            """)
        }
        let reference = try manifest("reference")
        #expect(try TestSupport.moeData(["ingest", reference, "--quiet", "--jobs", "2"]).status == 0)

        let killed = try manifest("killed")
        let p = Process()
        p.executableURL = TestSupport.binary
        p.arguments = ["ingest", killed, "--quiet", "--jobs", "1"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until some shards are committed, then kill without warning.
        let shardDir = dir.appendingPathComponent("killed/out/tokens/a")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let n = (try? FileManager.default.contentsOfDirectory(atPath: shardDir.path).filter { $0.hasSuffix(".zstd") }.count) ?? 0
            if n >= 3 || !p.isRunning { break }
            usleep(2000)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal, "the child must be killed mid-way, not finish first")
        let committedBefore = try Catalog.openExisting(outputDirectory: dir.appendingPathComponent("killed/out").path)
            .sourceState("a")?.cursor.position
        #expect(committedBefore != nil)

        let rerun = try TestSupport.moeData(["ingest", killed, "--quiet", "--jobs", "2"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let a = try TestSupport.tree(dir.appendingPathComponent("reference/out/tokens"))
        let b = try TestSupport.tree(dir.appendingPathComponent("killed/out/tokens"))
        #expect(a.count > 10)
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a == b, "resumed output differs from the uninterrupted run")
        // The resumed run started from its cursor rather than from scratch: the files finished
        // before the kill keep the content hash recorded by the first run.
        let stats = try CatalogStats.load(try Catalog.openExisting(outputDirectory: dir.appendingPathComponent("killed/out").path))
        let ref = try CatalogStats.load(try Catalog.openExisting(outputDirectory: dir.appendingPathComponent("reference/out").path))
        #expect(stats.sources.first?.documents == ref.sources.first?.documents)
        #expect(stats.sources.first?.tokens == ref.sources.first?.tokens)
    }

    @Test func aSecondRunReusesFinishedSources() throws {
        let dir = try TestSupport.tempDir("reuse")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TestSupport.realLines(100).map { "{\"text\": \(TestSupport.jsonString($0))}" }.joined(separator: "\n")
            .write(to: dir.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        let m = try TestSupport.manifest(in: dir, sources: "  - {name: a, format: jsonl, paths: [a.jsonl], domain: web}\n")
        #expect(try TestSupport.moeData(["ingest", m]).status == 0)
        let second = try TestSupport.moeData(["ingest", m])
        #expect(second.status == 0)
        #expect(second.stdout.contains("(up to date)"))
    }
}
