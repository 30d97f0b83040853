import Foundation
import MoeData
import MoeTestSupport
import Testing

/// Near dedup (issue 24) on planted near-duplicates of real prose with known Jaccard similarity:
/// recall at J ≥ 0.85 at least 95%, fewer than 1% of removed pairs below 0.6, the same removals for
/// --jobs 1, 2 and 5 and after a kill; and the manifest errors of bad settings.
@Suite(.serialized) struct DedupNearTests {
    /// FineWeb's defaults, and a buffer small enough that the bucket keys are sorted in several runs.
    static let dedup = "  keep: [a]\n  near: {}\n  buffer: 64KiB"
    /// The same with token-id shingles of 12 ids (see `tokenShinglesFind...`).
    static let tokenDedup = "  keep: [a]\n  near: {shingles: tokens, ngram: 12}\n  buffer: 64KiB"

    func run(_ args: [String], environment: [String: String] = [:]) throws -> ChildProcess.Output {
        let r = try TestSupport.moeData(args, environment: environment)
        #expect(r.status == 0, "\(args.joined(separator: " ")): \(r.stderr)")
        return r
    }

    /// `b_doc a_doc` of every near removal.
    static func pairs(_ manifest: String) throws -> [String] {
        try DedupFixtures.removals(manifest).map { line in
            let f = line.split(separator: " ")
            return "\(f[1]) \(f[3])"
        }
    }

    @Test func plantedNearDuplicatesAreFoundAndNothingFarApartIsRemoved() throws {
        let dir = try TestSupport.tempDir("dedup-near")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus")
        try DedupNearFixtures.make(corpus)
        var results: [[String]] = []
        for jobs in [1, 2, 5] {
            let manifest = try DedupFixtures.manifest(
                in: dir.appendingPathComponent("jobs\(jobs)"), corpus: corpus, dedup: Self.dedup)
            _ = try run(["ingest", manifest, "--quiet"])
            _ = try run(["dedup", manifest, "--jobs", "\(jobs)", "--quiet"])
            results.append(try DedupFixtures.removals(manifest))
            if jobs == 1 {
                let score = try DedupNearFixtures.score(corpus, removals: try Self.pairs(manifest))
                #expect(score.high >= 60, "too few planted pairs at J >= 0.85: \(score.high)")
                #expect(Double(score.highFound) >= 0.95 * Double(score.high), "recall: \(score)")
                #expect(Double(score.removedBelow) < 0.01 * Double(score.removed), "precision: \(score)")
                let rows = try Catalog(path: dir.appendingPathComponent("jobs1/out/catalog.sqlite").path)
                    .dedupRemovals()
                // Each removal names its survivor with an estimate at or above the threshold (the real
                // paragraphs repeat a few times within `a`, so `a` loses some too).
                #expect(rows.allSatisfy { $0.kind == "near" && ($0.jaccard ?? 0) >= 0.75 && !$0.keptDocId.isEmpty })
            }
        }
        #expect(results[1] == results[0], "--jobs 2 differs from --jobs 1")
        #expect(results[2] == results[0], "--jobs 5 differs from --jobs 1")
    }

    /// `shingles: tokens` signs the token ids of the shards: the planted pairs are found to the same
    /// bounds (their true similarity is still that of their word 5-grams) while the source files are
    /// gone, which word shingles need (they stop with a sentence naming the missing document). The
    /// tests' tokenizer has 1,000 pieces, about twice the tokens a word of a 32k one, so its shingle
    /// is 12 ids, not the default 7 (with 7: 9 of 181 removed pairs below J 0.6).
    @Test func tokenShinglesFindThePlantedPairsWithoutReadingTheSourcesAgain() throws {
        let dir = try TestSupport.tempDir("dedup-tokens")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus")
        try DedupNearFixtures.make(corpus)
        let tokens = try DedupFixtures.manifest(
            in: dir.appendingPathComponent("tokens"), corpus: corpus, dedup: Self.tokenDedup)
        let words = try DedupFixtures.manifest(
            in: dir.appendingPathComponent("words"), corpus: corpus, dedup: Self.dedup)
        _ = try run(["ingest", tokens, "--quiet"])
        _ = try run(["ingest", words, "--quiet"])
        let away = dir.appendingPathComponent("corpus-moved")
        try FileManager.default.moveItem(at: corpus, to: away)
        _ = try run(["dedup", tokens, "--jobs", "2", "--quiet"])
        let wordsRun = try TestSupport.moeData(["dedup", words, "--quiet"])
        try FileManager.default.moveItem(at: away, to: corpus)
        #expect(wordsRun.status != 0 && wordsRun.stderr.contains("is not in the source's files any more"),
            "word shingles read the texts again: \(wordsRun.stderr)")
        let score = try DedupNearFixtures.score(corpus, removals: try Self.pairs(tokens))
        #expect(score.high >= 60, "too few planted pairs at J >= 0.85: \(score.high)")
        #expect(Double(score.highFound) >= 0.95 * Double(score.high), "recall: \(score)")
        #expect(Double(score.removedBelow) < 0.01 * Double(score.removed), "precision: \(score)")
        // The same ids signed with one thread give the same removals.
        let again = try DedupFixtures.manifest(
            in: dir.appendingPathComponent("tokens1"), corpus: corpus, dedup: Self.tokenDedup)
        _ = try run(["ingest", again, "--quiet"])
        _ = try run(["dedup", again, "--jobs", "1", "--quiet"])
        #expect(try DedupFixtures.removals(again) == DedupFixtures.removals(tokens))
    }

    /// Killed after its first source's pass, the stage resumes after it and ends with the same removals.
    @Test func aKilledStageResumesToTheSameRemovals() throws {
        let dir = try TestSupport.tempDir("dedup-resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus")
        try DedupNearFixtures.make(corpus)
        let reference = try DedupFixtures.manifest(
            in: dir.appendingPathComponent("ref"), corpus: corpus, dedup: Self.dedup)
        _ = try run(["ingest", reference, "--quiet"])
        _ = try run(["dedup", reference, "--quiet"])
        let killed = try DedupFixtures.manifest(
            in: dir.appendingPathComponent("kill"), corpus: corpus, dedup: Self.dedup)
        _ = try run(["ingest", killed, "--quiet"])
        let stopped = try TestSupport.moeData(
            ["dedup", killed], environment: ["MOE_DATA_FAULT": "dedup.source.done:1"])
        #expect(stopped.status != 0, "the fault point must stop the stage")
        let resumed = try run(["dedup", killed])
        #expect(!resumed.stderr.contains("dedup: a:"), "the finished source was read again: \(resumed.stderr)")
        #expect(try DedupFixtures.removals(killed) == DedupFixtures.removals(reference))
    }

    /// The first pass split into 1 or 3 tasks (run in any order), joined by a plain run: the removals
    /// of one process.
    @Test func tasksGiveTheRemovalsOfOneProcess() throws {
        let dir = try TestSupport.tempDir("dedup-tasks")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus")
        try DedupNearFixtures.make(corpus)
        let dedup = Self.dedup + "\n  exact: fineweb"
        let reference = try DedupFixtures.manifest(in: dir.appendingPathComponent("one"), corpus: corpus, dedup: dedup)
        _ = try run(["ingest", reference, "--quiet"])
        _ = try run(["dedup", reference, "--quiet"])
        let expected = try DedupFixtures.removals(reference)
        #expect(expected.count > 100)
        for (count, order) in [(1, [0]), (3, [2, 0, 1])] {
            let manifest = try DedupFixtures.manifest(
                in: dir.appendingPathComponent("tasks\(count)"), corpus: corpus, dedup: dedup)
            _ = try run(["ingest", manifest, "--quiet"])
            for task in order {
                _ = try run(["dedup", manifest, "--task", "\(task)", "--tasks", "\(count)", "--quiet"])
            }
            let joined = try run(["dedup", manifest])
            #expect(!joined.stderr.contains("documents"), "the joined run read a source again: \(joined.stderr)")
            #expect(try DedupFixtures.removals(manifest) == expected, "\(count) tasks")
        }
    }

    @Test(arguments: [
        ("  near: {bands: 15}", "15 bands do not divide 112 permutations"),
        ("  near: {threshold: 1.2}", "between 0 and 1 (exclusive), got 1.2"),
        ("  near: {threshold: 0}", "between 0 and 1 (exclusive), got 0"),
        ("  near: {shingles: chars}", "'chars' is not a shingle kind; use one of: words, tokens"),
        ("  decontaminate: {paths: [missing-eval.jsonl]}", "missing-eval.jsonl does not exist"),
        ("  keep: [nope]\n  exact: none", "'nope' is not a source of this manifest"),
        ("  scope: all\n  exact: none", "'all' is not a scope; use one of: across, within"),
    ])
    func badSettingsAreRefusedWithOneSentence(dedup: String, message: String) throws {
        let dir = try TestSupport.tempDir("dedup-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DedupFixtures.exactCorpus(dir)
        let manifest = try DedupFixtures.manifest(in: dir.appendingPathComponent("m"), corpus: corpus, dedup: dedup)
        let r = try TestSupport.moeData(["dedup", manifest])
        #expect(r.status != 0)
        #expect(
            r.stderr.contains("error: ") && r.stderr.contains(message) && r.stderr.contains("dedup."), "\(r.stderr)")
    }
}
