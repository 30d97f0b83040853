import Foundation
import MoeData
import MoeTestSupport
import Testing

/// Exact dedup (issue 24): the removals equal a short Python reference (sha256 of the same
/// normalization, the same survival order) document for document, for each normalization and
/// scope, and do not depend on --jobs.
@Suite(.serialized) struct DedupExactTests {
    func run(_ args: [String]) throws {
        let r = try TestSupport.moeData(args)
        #expect(r.status == 0, "\(args.joined(separator: " ")): \(r.stderr)")
    }

    @Test(arguments: ["none", "whitespace", "fineweb"])
    func exactRemovalsEqualThePythonReference(normalization: String) throws {
        let dir = try TestSupport.tempDir("dedup-exact")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DedupFixtures.exactCorpus(dir)
        for (scope, keep) in [("across", ["b"]), ("within", [])] {
            let caseDir = dir.appendingPathComponent("\(scope)")
            let dedup = "  scope: \(scope)\n  keep: [\(keep.joined(separator: ", "))]\n  exact: \(normalization)"
            let manifest = try DedupFixtures.manifest(in: caseDir, corpus: corpus, dedup: dedup)
            try run(["ingest", manifest, "--quiet"])
            try run(["dedup", manifest, "--jobs", "2", "--quiet"])
            let order = keep + ["a", "b"].filter { !keep.contains($0) }
            let r = try Python.run(DedupFixtures.exactReference, [normalization, scope, corpus.path] + order)
            #expect(r.status == 0, "\(r.stderr)")
            let expected = r.stdout.split(separator: "\n").map(String.init).sorted()
            #expect(expected.count >= 10, "the corpus must plant copies: \(expected.count)")
            #expect(try DedupFixtures.removals(manifest) == expected, "\(normalization) \(scope)")
        }
    }

    @Test func removalsDoNotDependOnJobs() throws {
        let dir = try TestSupport.tempDir("dedup-jobs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DedupFixtures.exactCorpus(dir)
        var results: [[String]] = []
        for jobs in [1, 2, 5] {
            let manifest = try DedupFixtures.manifest(
                in: dir.appendingPathComponent("jobs\(jobs)"), corpus: corpus,
                dedup: "  exact: fineweb\n  near: {threshold: 0.7}")
            try run(["ingest", manifest, "--quiet"])
            try run(["dedup", manifest, "--jobs", "\(jobs)", "--quiet"])
            results.append(try DedupFixtures.removals(manifest))
        }
        #expect(results[0].count > 10)
        #expect(results[1] == results[0] && results[2] == results[0])
    }
}
