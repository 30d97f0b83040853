import Foundation
import MoeTestSupport

/// Near-duplicates of known Jaccard similarity made from real prose, and the Python that scores a
/// dedup's removals against them.
enum DedupNearFixtures {
    /// `make <dir>`: source `a` holds real paragraphs; source `b` a copy of each with words deleted,
    /// inserted and swapped at a seeded rate (from none to 20%), then unrelated paragraphs.
    /// `score <dir> <pairs>`: for each line `b_doc a_doc` of the truth (`truth.txt`, all planted pairs)
    /// and of `pairs` (the removals), the true Jaccard similarity of their word 5-gram sets (the
    /// fineweb normalization's words), printed as `truth J found` and `removed J`.
    static let script = """
        import glob, json, random, sys, unicodedata
        \(DedupFixtures.foldFunction)
        def shingles(t):
            w = fold(t).split()
            n = min(5, len(w))
            return {' '.join(w[i:i + n]) for i in range(len(w) - n + 1)}
        def jaccard(x, y):
            a, b = shingles(x), shingles(y)
            return len(a & b) / len(a | b)
        mode, d = sys.argv[1], sys.argv[2]
        if mode == 'make':
            rng = random.Random(17)
            paras = []
            for f in sorted(glob.glob('/usr/share/doc/python3.11/html/_sources/library/*.rst.txt')):
                for p in open(f, encoding='utf-8').read().split('\\n\\n'):
                    if len(p.split()) >= 80: paras.append(' '.join(p.split()))
            rng.shuffle(paras)
            base, other = paras[:300], paras[300:400]
            def edit(text, rate):
                w = text.split()
                out = []
                for x in w:
                    r = rng.random()
                    if r < rate / 3: continue
                    out.append(x)
                    if r < 2 * rate / 3: out.append(rng.choice(w))
                for _ in range(int(len(out) * rate / 3)):
                    i = rng.randrange(len(out) - 1)
                    out[i], out[i + 1] = out[i + 1], out[i]
                return ' '.join(out)
            rates = [0.03 * i / 150 for i in range(150)] + [0.03 + 0.17 * i / 150 for i in range(150)]
            b = [edit(t, r) for t, r in zip(base, rates)] + other
            for name, docs in (('a', base), ('b', b)):
                with open(f'{d}/{name}.jsonl', 'w') as f:
                    for t in docs: f.write(json.dumps({'text': t}) + '\\n')
            with open(f'{d}/truth.txt', 'w') as f:
                for i in range(len(base)): f.write(f'b.jsonl:{i + 1} a.jsonl:{i + 1}\\n')
        else:
            docs = {}
            for name in ('a', 'b'):
                for i, line in enumerate(open(f'{d}/{name}.jsonl'), 1):
                    docs[f'{name}.jsonl:{i}'] = json.loads(line)['text']
            removed = dict(l.split() for l in open(sys.argv[3]) if l.strip())
            for l in open(f'{d}/truth.txt'):
                x, y = l.split()
                print('truth', jaccard(docs[x], docs[y]), 1 if x in removed else 0)
            for x, y in removed.items(): print('removed', jaccard(docs[x], docs[y]))
        """

    struct FixtureError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    struct Score {
        /// Planted pairs at true Jaccard ≥ 0.85, and how many of them were removed.
        var high = 0, highFound = 0
        /// Removed pairs, and how many of them have a true Jaccard below 0.6.
        var removed = 0, removedBelow = 0
    }

    static func make(_ corpus: URL) throws {
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        let r = try Python.run(script, ["make", corpus.path])
        guard r.status == 0 else { throw FixtureError("near corpus: \(r.stderr)") }
    }

    /// Scores removals given as `b_doc a_doc` lines.
    static func score(_ corpus: URL, removals: [String]) throws -> Score {
        let pairs = corpus.appendingPathComponent("pairs-\(UUID().uuidString).txt")
        try removals.joined(separator: "\n").write(to: pairs, atomically: true, encoding: .utf8)
        let r = try Python.run(script, ["score", corpus.path, pairs.path])
        guard r.status == 0 else { throw FixtureError("near score: \(r.stderr)") }
        var score = Score()
        for line in r.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let j = fields.count > 1 ? Double(fields[1]) : nil else { continue }
            if fields[0] == "truth" && j >= 0.85 {
                score.high += 1
                if fields.count > 2 && fields[2] == "1" { score.highFound += 1 }
            } else if fields[0] == "removed" {
                score.removed += 1
                if j < 0.6 { score.removedBelow += 1 }
            }
        }
        return score
    }
}
