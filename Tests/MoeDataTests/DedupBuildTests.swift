import Foundation
import JSON
import MDS
import MoeData
import MoeTestSupport
import Testing

/// The dedup stage in a build (issue 24): the mixer never emits a removed document and emits every
/// kept one; documents = kept + removed; `plan`, `stats` and `inspect --doc` report it; and taking the
/// `dedup:` section out again gives the rows of a build that never had one.
@Suite(.serialized) struct DedupBuildTests {
    static let dedup = "  keep: [b]\n  exact: fineweb\n  near: {}"

    func run(_ args: [String]) throws -> ChildProcess.Output {
        let r = try TestSupport.moeData(args)
        #expect(r.status == 0, "\(args.joined(separator: " ")): \(r.stderr)")
        return r
    }

    /// A causal mixture of `a` and `b` that reads every kept document of both at least once.
    static func mixture(_ dir: URL, kept: [String: Int]) throws -> String {
        let path = dir.appendingPathComponent("mix.yaml").path
        let total = 2 * (kept.values.max() ?? 0) + 2048
        try """
        name: dedup
        total_tokens: \(total)
        seed: 3
        sources: {a: {max_epochs: 8}, b: {max_epochs: 8}}
        phases:
          - name: lm
            budget: rest
            weights: {a: 50, b: 50}
            objective: {type: causal}
            seq_len: 512
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// (source, doc_id) of every document the rows' provenance names.
    static func emitted(_ packed: URL) throws -> Set<String> {
        var documents: Set<String> = []
        for row in try TestSupport.samples(packed) {
            for segment in row["provenance"]?.json?.arrayValue ?? [] {
                let source = segment["source"]?.stringValue ?? "?"
                for doc in segment["docs"]?.arrayValue ?? [] {
                    documents.insert(source + " " + (doc.arrayValue?[0].stringValue ?? "?"))
                }
            }
        }
        return documents
    }

    @Test func theMixerSkipsRemovedDocumentsAndEmitsEveryKeptOne() throws {
        let dir = try TestSupport.tempDir("dedup-build")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DedupFixtures.exactCorpus(dir)
        let manifest = try DedupFixtures.manifest(
            in: dir.appendingPathComponent("d"), corpus: corpus, dedup: Self.dedup)
        _ = try run(["ingest", manifest, "--quiet"])
        _ = try run(["dedup", manifest, "--quiet"])
        let out = dir.appendingPathComponent("d/out")
        let catalog = try Catalog(path: out.appendingPathComponent(Catalog.fileName).path)
        let removedTokens = try catalog.removedTokens()
        var kept: [String: Int] = [:]
        for source in ["a", "b"] {
            kept[source] = (try catalog.sourceState(source)?.cursor?.totals.tokens ?? 0) - (removedTokens[source] ?? 0)
        }
        let mixture = try Self.mixture(dir, kept: kept)
        let plan = try run(["plan", manifest, "--mixture", mixture])
        #expect(plan.stdout.contains("available after dedup"), "\(plan.stdout)")
        _ = try run(["build", manifest, "--mixture", mixture, "--quiet"])

        let removed = Set(try catalog.dedupRemovals().filter(\.removed).map { "\($0.source) \($0.docId)" })
        #expect(removed.count > 10)
        let emitted = try Self.emitted(out.appendingPathComponent("packed"))
        #expect(emitted.isDisjoint(with: removed), "emitted removed documents: \(emitted.intersection(removed))")

        // documents = kept + removed, and every kept document is in the rows.
        let stats = try JSONValue.parse(Data(try run(["stats", out.path, "--json"]).stdout.utf8))
        guard case .array(let sources)? = stats["dedup"]?["sources"] else {
            Issue.record("stats --json has no dedup.sources: \(stats)")
            return
        }
        for source in sources {
            let name = source["source"]?.stringValue ?? "?"
            let documents = Int(source["documents"]?.intValue ?? -1)
            let keptCount = Int(source["kept"]?.intValue ?? -1)
            #expect(documents == keptCount + Int(source["removed"]?.intValue ?? -1))
            #expect(emitted.filter { $0.hasPrefix(name + " ") }.count == keptCount, "\(name)")
        }
        let text = try run(["stats", out.path]).stdout
        #expect(text.contains("removed from \\ kept in"), "\(text)")

        // inspect --doc: one removed document, one kept.
        let row = try #require(try catalog.dedupRemovals().first { $0.kind == "exact" && $0.source == "a" })
        let verdict = try run(["inspect", out.path, "--doc", "a:\(row.docId)"]).stdout
        #expect(verdict.contains("removed (exact duplicate") && verdict.contains("b:\(row.keptDocId)"), "\(verdict)")
        let keptVerdict = try run(["inspect", out.path, "--doc", "b:\(row.keptDocId)"]).stdout
        #expect(keptVerdict.contains("not removed"), "\(keptVerdict)")

        // Run again: the stage and the build are up to date.
        let again = try run(["dedup", manifest])
        #expect(again.stdout.contains("up to date"), "\(again.stdout)")
    }

    @Test func withoutTheDedupSectionAgainTheRowsAreThoseOfABuildThatNeverHadOne() throws {
        let dir = try TestSupport.tempDir("dedup-off")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = try DedupFixtures.exactCorpus(dir)
        let plain = try DedupFixtures.manifest(in: dir.appendingPathComponent("plain"), corpus: corpus, dedup: nil)
        let mixture = try Self.mixture(dir, kept: ["a": 4000])
        _ = try run(["build", plain, "--mixture", mixture, "--quiet"])
        let reference = try TestSupport.tree(dir.appendingPathComponent("plain/out/packed"))

        let deduped = dir.appendingPathComponent("deduped")
        let withDedup = try DedupFixtures.manifest(in: deduped, corpus: corpus, dedup: Self.dedup)
        _ = try run(["build", withDedup, "--mixture", mixture, "--quiet"])
        let rows = try TestSupport.tree(deduped.appendingPathComponent("out/packed"))
        #expect(rows["/index.json"] != reference["/index.json"], "dedup must change the rows")
        _ = try DedupFixtures.manifest(in: deduped, corpus: corpus, dedup: nil)
        _ = try run(["build", withDedup, "--mixture", mixture, "--quiet"])
        let after = try TestSupport.tree(deduped.appendingPathComponent("out/packed"))
        for (name, bytes) in reference where name != "/moe-data.json" && after[name] != bytes {
            Issue.record("\(name) differs from the build without dedup")
        }
        #expect(!FileManager.default.fileExists(atPath: deduped.appendingPathComponent("out/dedup").path))
    }
}
