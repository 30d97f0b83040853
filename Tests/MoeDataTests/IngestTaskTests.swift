import Foundation
import JSON
import MDS
import MoeTestSupport
import Testing

@testable import MoeData

/// `moe-data ingest --task I --tasks N` and `moe-data merge` with real child processes: the merged
/// documents equal a one-process ingest's for every N and every order the tasks ran in; a killed
/// task resumes, a done task is skipped, changed input is reported and never mixed, a failed task
/// is named with its file and line.
@Suite(.serialized) struct IngestTaskTests {
    /// One-process ingest of the corpus (the reference).
    func reference(_ corpus: TaskCorpus) throws -> [String: [String]] {
        let r = try TestSupport.moeData(["ingest", try corpus.manifest("one"), "--quiet", "--jobs", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        return try corpus.documents("one")
    }

    func merge(_ corpus: TaskCorpus, _ name: String) throws -> ChildProcess.Output {
        try TestSupport.moeData(["merge", corpus.output(name).path, "--quiet"])
    }

    @Test func everyTaskCountAndOrderGivesTheOneProcessDocuments() throws {
        let corpus = try TaskCorpus("tasks-n")
        defer { corpus.remove() }
        let expected = try reference(corpus)
        #expect((expected["web"]?.count ?? 0) > 2000 && (expected["code"]?.count ?? 0) > 2000)
        let one = try CatalogStats.load(try Catalog.openExisting(outputDirectory: corpus.output("one").path))
        var splitKinds: Set<String> = []
        for n in 1...7 {
            let name = "n\(n)", manifest = try corpus.manifest(name)
            // Reverse, or rotated: the finishing order must not matter.
            let order = n % 2 == 0 ? Array((0..<n).reversed()) : (0..<n).map { ($0 + n / 2) % n }
            var done = (documents: 0, skipped: 0)
            for i in order {
                let r = try corpus.task(manifest, i, of: n)
                #expect(r.status == 0, "N=\(n) task \(i): \(r.stderr)")
                let marker = try #require(
                    try IngestTaskDone.read(
                        path: IngestTaskFiles(outputDirectory: corpus.output(name).path).donePath(i)))
                done.documents += marker.documents
                done.skipped += marker.skipped
            }
            let m = try merge(corpus, name)
            #expect(m.status == 0, "N=\(n) merge: \(m.stderr)")
            let documents = try corpus.documents(name)
            for source in ["web", "code"] {
                let got = documents[source] ?? [], want = expected[source] ?? []
                let firstDifference = Array(zip(got, want)).firstIndex { $0.0 != $0.1 }
                let at = firstDifference.map { String($0) } ?? "the end"
                #expect(got == want, "N=\(n) \(source): \(got.count) documents vs \(want.count); first difference at \(at)")
            }
            // Documents in = documents out + documents skipped, summed over the tasks.
            let merged = try CatalogStats.load(try Catalog.openExisting(outputDirectory: corpus.output(name).path))
            for (a, b) in zip(merged.sources, one.sources) {
                #expect(a.name == b.name && a.documents == b.documents && a.skipped == b.skipped)
                #expect(a.tokens == b.tokens && a.fileErrors == b.fileErrors && a.bytesIn == b.bytesIn)
            }
            #expect(done.documents == one.sources.reduce(0) { $0 + $1.documents }, "N=\(n)")
            #expect(done.skipped == one.sources.reduce(0) { $0 + $1.skipped }, "N=\(n)")
            let catalog = try Catalog.openExisting(outputDirectory: corpus.output(name).path)
            for row in try catalog.db.query("SELECT path FROM files WHERE content_hash LIKE 'pieces:%'") {
                splitKinds.insert(((row[0]?.text ?? "") as NSString).pathExtension)
            }
        }
        #expect(splitKinds == ["jsonl", "zst"], "a plain and a multi-frame file must have been split: \(splitKinds)")
    }

    @Test func mosaicmlStreamingReadsTheMergedTokens() throws {
        if let missing = try Python.missing(MDSInteropTests.requirements) {
            Issue.record(Comment(rawValue: missing))
            return
        }
        let corpus = try TaskCorpus("tasks-mds")
        defer { corpus.remove() }
        let manifest = try corpus.manifest("n3")
        for i in 0..<3 { #expect(try corpus.task(manifest, i, of: 3).status == 0) }
        #expect(try merge(corpus, "n3").status == 0)
        let tokens = corpus.output("n3").appendingPathComponent("tokens")
        let scratch = try TestSupport.tempDir("mds-raw")
        defer { TempFolder.remove(scratch) }
        let r = try Python.run(MDSInteropTests.reader, [tokens.path, scratch.path])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        let expected = try MDSInteropTests.expectedLines(tokens)
        #expect(expected.count > 4000)
        #expect(lines == expected, "the merged tokens/index.json read by mosaicml-streaming differs from ours")
    }

    @Test func aKilledTaskResumesAndADoneTaskIsSkipped() throws {
        let corpus = try TaskCorpus("tasks-kill")
        defer { corpus.remove() }
        let expected = try reference(corpus)
        let manifest = try corpus.manifest("k")
        let killed = try corpus.task(manifest, 1, of: 3, environment: ["MOE_DATA_FAULT": "ingest.shard.committed:3"])
        #expect(killed.signaled, "the fault point must kill task 1 at its third commit: \(killed.stderr)")
        // What status reads of the killed task: its committed counts, with the bytes read for them.
        let files = IngestTaskFiles(outputDirectory: corpus.output("k").path)
        let record = try SQLiteDatabase(path: files.catalogPath(1), readOnly: true)
        let progress = try JSONValue.parse(
            Data((try record.query("SELECT value FROM kv WHERE key = 'task.progress'").first?[0]?.text ?? "").utf8))
        #expect((progress["tokens"]?.intValue ?? 0) > 0 && (progress["bytes"]?.intValue ?? 0) > 0, "\(progress)")
        // Other hosts read a task's catalog while it is written: a rollback journal, not WAL.
        #expect(try record.query("PRAGMA journal_mode").first?[0]?.text == "delete")
        for i in [2, 0] { #expect(try corpus.task(manifest, i, of: 3).status == 0) }
        let refused = try merge(corpus, "k")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("task-00001 started but did not finish"), "\(refused.stderr)")
        let resumed = try corpus.task(manifest, 1, of: 3)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming "), "\(resumed.stderr)")
        let again = try corpus.task(manifest, 1, of: 3)
        #expect(again.status == 0 && again.stdout.contains("task-00001 of 3: done already"), "\(again.stdout)")
        #expect(try merge(corpus, "k").status == 0)
        #expect(try corpus.documents("k") == expected)
    }

    /// A writer killed in the window where SQLite has synced its rollback journal (a cache spill, or
    /// COMMIT writing the file) leaves a hot journal, which a read-only connection cannot roll back:
    /// SQLITE_READONLY_ROLLBACK (a task scancel'd on Slurm hit it). No fault point reaches that window,
    /// so a Python writer spills a transaction over the killed task's catalog and SIGKILLs itself.
    /// `moe-data status` reads the last committed figures, writes nothing, and the task resumes.
    @Test func aCatalogWithAHotJournalIsReadByStatusAndResumes() throws {
        let corpus = try TaskCorpus("tasks-journal")
        defer { corpus.remove() }
        let expected = try reference(corpus)
        let manifest = try corpus.manifest("j")
        let output = corpus.output("j").path
        let catalog = IngestTaskFiles(outputDirectory: output).catalogPath(1)
        let killed = try corpus.task(manifest, 1, of: 3, environment: ["MOE_DATA_FAULT": "ingest.shard.committed:3"])
        #expect(killed.signaled, "the fault point must kill task 1 at its third commit: \(killed.stderr)")
        let committed = try TaskRecord.load(output: output, task: 1)
        #expect(committed.unreadable == nil && (committed.progress?.tokens ?? 0) > 0, "\(committed)")
        let writer = try Python.run(
            """
            import os, signal, sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("PRAGMA cache_size=2")
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE kv SET value = 'uncommitted' WHERE key LIKE 'task.%'")
            for i in range(2000):
                db.execute("INSERT INTO kv(key, value) VALUES(?, ?)", (f"spill.{i}", "x" * 2000))
            os.kill(os.getpid(), signal.SIGKILL)
            """, [catalog])
        #expect(writer.signaled, "\(writer.stderr)")
        func files() -> [Data?] { [catalog, catalog + "-journal"].map { FileManager.default.contents(atPath: $0) } }
        let left = files()
        #expect(left[1].map { $0.first != 0 } == true, "the writer must leave a hot (synced) journal")
        let status = try TestSupport.moeData(["status", output, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let task = try JSONValue.parse(Data(status.stdout.utf8))["tasks"]?.arrayValue?[1]
        let tokens = committed.progress?.tokens ?? -1
        #expect(task?["tokens"]?.intValue == Int64(tokens), "\(String(describing: task))")
        #expect(task?["error"]?.stringValue?.contains("cannot be read") != true, "\(String(describing: task))")
        let record = try TaskRecord.load(output: output, task: 1)
        #expect(record.unreadable == nil && record.progress == committed.progress, "\(record)")
        #expect(record.attempts == committed.attempts && record.input == committed.input)
        #expect(files() == left, "status wrote the killed task's catalog or its journal")
        for i in [0, 1, 2] { #expect(try corpus.task(manifest, i, of: 3).status == 0) }
        #expect(try merge(corpus, "j").status == 0)
        #expect(try corpus.documents("j") == expected)
    }

    /// A folder whose only task catalog is damaged: status names that file and SQLite's reason,
    /// not "no ingest tasks here".
    @Test func statusNamesADamagedTaskCatalog() throws {
        let dir = try TempFolder.make("tasks-damaged")
        defer { TempFolder.remove(dir) }
        let catalog = IngestTaskFiles(outputDirectory: dir.path).catalogPath(0)
        try FileManager.default.createDirectory(
            atPath: (catalog as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: catalog))
        let r = try TestSupport.moeData(["status", dir.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot be read") && r.stderr.contains(catalog), "\(r.stderr)")
    }

    @Test func changedInputIsReportedAndNeverMixedWithOldShards() throws {
        let corpus = try TaskCorpus("tasks-changed")
        defer { corpus.remove() }
        let manifest = try corpus.manifest("c")
        for i in 0..<2 { #expect(try corpus.task(manifest, i, of: 2).status == 0) }
        let small = corpus.dir.appendingPathComponent("web/small.jsonl")
        let handle = try FileHandle(forWritingTo: small)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"text\": \"one more line\"}\n".utf8))
        try handle.close()
        // Build (or a plain ingest) refuses tasks made from other input.
        let stale = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("were made from other input"), "\(stale.stderr)")
        let rerun = try corpus.task(manifest, 0, of: 2)
        #expect(rerun.status == 0)
        #expect(rerun.stderr.contains("changed since this task started"), "\(rerun.stderr)")
        let mixed = try merge(corpus, "c")
        #expect(mixed.status == 1)
        #expect(mixed.stderr.contains("was done from other input"), "\(mixed.stderr)")
        #expect(try corpus.task(manifest, 1, of: 2).status == 0)
        #expect(try merge(corpus, "c").status == 0)
        let docs = try corpus.documents("c")
        #expect(docs["web"]?.contains { $0.hasPrefix("small.jsonl:41 ") } == true, "the new line is ingested")
    }

    @Test func aFailedTaskIsNamedWithItsFileAndLine() throws {
        let corpus = try TaskCorpus("tasks-fail")
        defer { corpus.remove() }
        // Where a one-process ingest stops: the tasks must name the same file and line.
        let one = try TestSupport.moeData(["ingest", try corpus.manifest("one", onError: "fail"), "--quiet"])
        #expect(one.status == 1)
        let location = try #require(one.stderr.firstMatch(of: /big\.jsonl:[0-9]+/)).output
        let manifest = try corpus.manifest("f", onError: "fail")
        var failed: [Int] = []
        for i in 0..<4 {
            let r = try corpus.task(manifest, i, of: 4)
            if r.status != 0 {
                failed.append(i)
                #expect(r.status == 1)
                #expect(r.stderr.contains(location), "\(r.stderr)")
            }
        }
        #expect(failed.count == 1, "exactly the task holding the bad line fails: \(failed)")
        let m = try merge(corpus, "f")
        #expect(m.status == 1)
        let name = IngestTask.name(failed.first ?? -1)
        #expect(m.stderr.contains("\(name) failed: ") && m.stderr.contains(location), "\(m.stderr)")
    }

    @Test func repeatedIdsAcrossTasksAreRefusedByTheMerge() throws {
        let corpus = try TaskCorpus("tasks-ids")
        defer { corpus.remove() }
        // The field `n` repeats between big.jsonl and small.jsonl (both count from 0).
        let manifest = try corpus.manifest("ids", idField: true)
        for i in 0..<3 { #expect(try corpus.task(manifest, i, of: 3).status == 0) }
        let m = try merge(corpus, "ids")
        #expect(m.status == 1)
        #expect(m.stderr.contains("source 'web': the id '") && m.stderr.contains("make the ids unique"), "\(m.stderr)")
    }

    @Test func aCorruptFrameEndsItsFileAsInOneProcessWhateverTheTaskCount() throws {
        let corpus = try TaskCorpus("tasks-corrupt")
        defer { corpus.remove() }
        let zst = corpus.dir.appendingPathComponent("code/multi.jsonl.zst")
        let frames = try ZstdFrames.scan(path: zst.path)
        #expect(frames.count == 6)
        var bytes = try Data(contentsOf: zst)
        bytes[frames[2].offset + frames[2].compressedSize / 2] ^= 0x5A
        try bytes.write(to: zst)
        let expected = try reference(corpus)
        let one = try CatalogStats.load(try Catalog.openExisting(outputDirectory: corpus.output("one").path))
        #expect(one.sources.first { $0.name == "code" }?.fileErrors == 1)
        for n in [3, 5, 7] {
            let name = "n\(n)", manifest = try corpus.manifest(name)
            for i in 0..<n { #expect(try corpus.task(manifest, i, of: n).status == 0) }
            #expect(try merge(corpus, name).status == 0)
            #expect(try corpus.documents(name) == expected, "N=\(n)")
            let merged = try CatalogStats.load(try Catalog.openExisting(outputDirectory: corpus.output(name).path))
            for (a, b) in zip(merged.sources, one.sources) {
                let counts = "\(a.documents)/\(a.skipped)/\(a.fileErrors) vs \(b.documents)/\(b.skipped)/\(b.fileErrors)"
                #expect(
                    a.documents == b.documents && a.skipped == b.skipped && a.fileErrors == b.fileErrors,
                    "N=\(n) \(a.name): \(counts)")
            }
            let catalog = try Catalog.openExisting(outputDirectory: corpus.output(name).path)
            let split = try catalog.db.query(
                "SELECT 1 FROM files WHERE path LIKE '%.zst' AND content_hash LIKE 'pieces:%'")
            if n == 7 { #expect(!split.isEmpty, "N=7 must split the zstd file") }
        }
    }
}
