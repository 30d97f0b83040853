import Foundation
import MoeTestSupport
import Testing

@testable import MoeData

/// The promise of issue 13: `packed/` from `build` is byte-identical whether ingest ran as one
/// process or as N tasks (merged by `build` itself), whatever order the tasks finished in.
@Suite(.serialized) struct BuildFromTasksTests {
    @Test func packedRowsAreTheSameFromOneProcessAndFromTasks() throws {
        let corpus = try TaskCorpus("build-tasks")
        defer { corpus.remove() }
        let mixture = try corpus.mixture(
            "tasks", total: 90000, ul2Budget: 50000, seed: 5, lmWeights: "{web: 60, code: 40}")
        let one = try TestSupport.moeData(["build", try corpus.manifest("one"), "--mixture", mixture, "--quiet"])
        #expect(one.status == 0, "\(one.stderr)")
        let reference = try TestSupport.tree(corpus.output("one").appendingPathComponent("packed"))
        #expect(reference.count > 3)
        for n in [2, 5] {
            let name = "n\(n)", manifest = try corpus.manifest(name)
            for i in (0..<n).reversed() { #expect(try corpus.task(manifest, i, of: n).status == 0) }
            let build = try TestSupport.moeData(["build", manifest, "--mixture", mixture])
            #expect(build.status == 0, "\(build.stderr)")
            #expect(build.stderr.contains("merged \(n) ingest tasks"), "build merges the tasks: \(build.stderr)")
            let tokens = try corpus.documents(name)
            #expect(tokens == (try corpus.documents("one")))
            // The merge carries each shard's document lengths (a build slice simulates from them).
            for source in ["web", "code"] {
                let lengths = { (out: String) throws -> [UInt32] in
                    try Catalog(path: corpus.output(out).appendingPathComponent(Catalog.fileName).path)
                        .documentLengths(source: source).flatMap { $0 ?? [] }
                }
                #expect(try lengths(name) == (try lengths("one")), "N=\(n): document lengths of \(source)")
                #expect(try lengths(name).count == tokens[source]?.count, "N=\(n): one length per document")
            }
            let packed = try TestSupport.tree(corpus.output(name).appendingPathComponent("packed"))
            #expect(packed.keys.sorted() == reference.keys.sorted(), "N=\(n)")
            let differing = reference.filter { packed[$0.key] != $0.value }.map(\.key).sorted()
            let summary = "\(differing.count) of \(reference.count) packed files differ, first \(differing.prefix(3))"
            #expect(differing.isEmpty, "N=\(n): \(summary)")
        }
    }
}
