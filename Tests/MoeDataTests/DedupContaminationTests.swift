import Foundation
import MoeData
import MoeTestSupport
import Testing

/// Decontamination (issue 24): passages of real documents, recased and repunctuated, planted in
/// evaluation files (JSONL and text); every document sharing a 13-word n-gram with one is found, as a
/// Python reference finds them, and nothing else; `action: count` flags without removing.
@Suite(.serialized) struct DedupContaminationTests {
    /// Writes `eval.jsonl` and `eval.txt` (passages of 20 words from a few documents of `a`), then
    /// prints the documents of `a` and `b` that share a 13-word n-gram with them, and the planted ones.
    static let script = """
        import json, sys, unicodedata
        d = sys.argv[1]
        \(DedupFixtures.foldFunction)
        def words(t):
            return fold(t).split()
        docs = {}
        for name in ('a', 'b'):
            for i, line in enumerate(open(f'{d}/{name}.jsonl'), 1):
                docs[f'{name} {name}.jsonl:{i}'] = json.loads(line)['text']
        planted = [f'a a.jsonl:{i}' for i in (3, 50, 120, 200, 260)]
        passages = []
        for k, key in enumerate(planted):
            w = docs[key].split()[20:40]
            passages.append(' '.join(x.upper() + ('!' if j % 4 == 0 else '') for j, x in enumerate(w)))
        with open(f'{d}/eval.jsonl', 'w') as f:
            for p in passages[:3]: f.write(json.dumps({'question': 'q', 'text': p}) + '\\n')
        with open(f'{d}/eval.txt', 'w') as f:
            f.write('\\n\\n'.join(passages[3:]) + '\\n')
        grams = set()
        for p in passages:
            w = words(p)
            grams |= {tuple(w[i:i + 13]) for i in range(len(w) - 12)}
        for key, text in docs.items():
            w = words(text)
            if any(tuple(w[i:i + 13]) in grams for i in range(len(w) - 12)): print('found', key)
        for key in planted: print('planted', key)
        """

    @Test(arguments: ["remove", "count"])
    func everyPlantedPassageIsFoundAndNothingElse(action: String) throws {
        let dir = try TestSupport.tempDir("dedup-contamination")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus")
        try DedupNearFixtures.make(corpus)
        let r = try Python.run(Self.script, [corpus.path])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let expected = lines.filter { $0.hasPrefix("found ") }.map { String($0.dropFirst(6)) }.sorted()
        let planted = lines.filter { $0.hasPrefix("planted ") }.map { String($0.dropFirst(8)) }
        #expect(Set(planted).isSubset(of: Set(expected)), "the reference must find the planted documents")
        let dedup = """
              decontaminate:
                paths: ["\(corpus.path)/eval.jsonl", "\(corpus.path)/eval.txt"]
                action: \(action)
            """
        let manifest = try DedupFixtures.manifest(in: dir.appendingPathComponent("m"), corpus: corpus, dedup: dedup)
        for args in [["ingest", manifest, "--quiet"], ["dedup", manifest, "--quiet"]] {
            let run = try TestSupport.moeData(args)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let catalog = try Catalog(path: dir.appendingPathComponent("m/out/catalog.sqlite").path)
        let rows = try catalog.dedupRemovals()
        #expect(rows.map { "\($0.source) \($0.docId)" }.sorted() == expected)
        #expect(
            rows.allSatisfy {
                $0.kind == "contamination" && $0.keptSource == "eval" && $0.removed == (action == "remove")
            })
        #expect(rows.allSatisfy { $0.keptDocId.hasPrefix(corpus.path + "/eval.") })
        #expect(try catalog.removedTokens().isEmpty == (action == "count"))
    }
}
