import Foundation
import MoeData
import MoeTestSupport
import Testing

/// Corpora with planted duplicates, made from real prose (Python's documentation), and the Python
/// references the dedup tests compare against.
enum DedupFixtures {
    /// Two JSONL sources, `a` and `b`, in `dir/corpus/`: real paragraphs, with exact copies of `a`'s in
    /// `b` and in `a` itself, copies that differ only in whitespace, case, punctuation and digits,
    /// unicode text, and an empty document that ingest skips.
    static func exactCorpus(_ dir: URL) throws -> URL {
        let corpus = dir.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        let script = """
            import json, random, sys
            random.seed(5)
            lines = [l.strip() for l in sys.stdin.read().split('\\n') if len(l.strip()) > 20]
            base = lines[:120]
            unicode = ['Ünïcödé — “quoted” text, №１２３ and ΣΑΣ ΟΔΟΣ',
                       'İstanbul\\u00a0has\\u2028many\\u3000spaces',
                       'tabs\\tand\\x1cseparators\\x1f here',
                       'Ünïcödé — "quoted" text, no123 and σασ οδος']
            a = base[:60] + unicode[:2] + base[:5]
            b = base[60:] + [base[i] for i in range(5, 15)]
            b += ['  ' + base[i].replace(' ', ' \\t ') + '\\n' for i in range(15, 25)]
            b += [base[i].upper() for i in range(25, 30)]
            b += [base[i].replace('.', ' . ').replace(',', '') for i in range(30, 35)]
            b += [''.join('7' if c.isdigit() else c for c in base[i]) for i in range(35, 40)]
            b += unicode[2:] + ['']
            random.shuffle(b)
            for name, docs in (('a', a), ('b', b)):
                with open(sys.argv[1] + '/' + name + '.jsonl', 'w') as f:
                    for d in docs: f.write(json.dumps({'text': d}) + '\\n')
            """
        let r = try Python.runScript(
            script, [corpus.path], input: try TestSupport.realLines(400).joined(separator: "\n"))
        #expect(r.status == 0, "\(r.stderr)")
        return corpus
    }

    /// Python's `fold(text)`: the fineweb normalization before its whitespace rule (each character
    /// lowercased on its own, punctuation dropped, decimal digits as 0), shared by the references.
    static let foldFunction = """
        import unicodedata
        def fold(t):
            out = []
            for c in t:
                for d in c.lower():
                    cat = unicodedata.category(d)
                    if cat.startswith('P'): continue
                    out.append('0' if cat == 'Nd' else d)
            return ''.join(out)
        """

    /// The reference of exact dedup: sha256 of each document's normalization, sources in survival order,
    /// documents in file order; prints `source doc_id kept_source kept_doc_id` per removed document.
    static let exactReference = """
        import hashlib, json, sys, unicodedata
        norm, scope, corpus = sys.argv[1], sys.argv[2], sys.argv[3]
        order = sys.argv[4:]
        \(foldFunction)
        def normalize(t):
            if norm == 'none': return t
            if norm == 'fineweb': t = fold(t)
            return ' '.join(t.split())
        seen = {}
        for source in order:
            for i, line in enumerate(open(corpus + '/' + source + '.jsonl', encoding='utf-8'), 1):
                text = json.loads(line)['text']
                if text == '': continue
                key = (source if scope == 'within' else '', hashlib.sha256(normalize(text).encode()).hexdigest())
                doc = f'{source}.jsonl:{i}'
                if key in seen: print(source, doc, *seen[key])
                else: seen[key] = (source, doc)
        """

    /// A manifest over `corpus`'s sources `a` and `b` with `dedup` (YAML, indented under `dedup:`).
    static func manifest(in dir: URL, corpus: URL, dedup: String?, sources: [String] = ["a", "b"]) throws -> String {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let list = sources.map {
            "  - {name: \($0), format: jsonl, paths: [\"\(corpus.path)/\($0).jsonl\"], domain: web}"
        }
        return try TestSupport.manifest(
            in: dir, shardSize: "16KiB",
            sources: list.joined(separator: "\n") + (dedup.map { "\ndedup:\n" + $0 } ?? ""))
    }

    /// The catalog's removals of an output as `source doc_id kept_source kept_doc_id` lines, sorted.
    static func removals(_ manifest: String, kind: String? = nil) throws -> [String] {
        let output = URL(fileURLWithPath: manifest).deletingLastPathComponent().appendingPathComponent("out")
        let catalog = try Catalog(path: output.appendingPathComponent(Catalog.fileName).path)
        return try catalog.dedupRemovals().filter { kind == nil || $0.kind == kind }
            .map { "\($0.source) \($0.docId) \($0.keptSource) \($0.keptDocId)" }.sorted()
    }
}

extension Python {
    /// Runs a script given as text with arguments and standard input.
    static func runScript(_ script: String, _ args: [String], input: String) throws -> ChildProcess.Output {
        try ChildProcess.run(executable, ["-c", script] + args, stdin: Data(input.utf8), timeout: 300)
    }
}
