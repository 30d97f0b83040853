"""Planted near-duplicates of real prose with known Jaccard similarity, and their scoring.

make <dir> <pairs>: a.jsonl holds <pairs> real paragraphs (Python's documentation and Debian's
  docs, >= 80 words); b.jsonl a copy of each with words deleted, inserted and swapped at a seeded
  rate (half from 0 to 3%, half from 3 to 20%), then unrelated paragraphs. truth.txt: `b_doc a_doc`.
score <dir> <removals>: removals are `removed_doc kept_doc` lines (ids `a.jsonl:N`, `b.jsonl:N`);
  prints recall at true J >= 0.85 and the share of removed pairs below 0.6, as JSON. True Jaccard:
  word 5-gram sets of the fineweb normalization (README, "Deduplication").
"""
import glob, json, random, sys, unicodedata


def words(t):
    out = []
    for c in t:
        for d in c.lower():
            cat = unicodedata.category(d)
            if cat.startswith('P'):
                continue
            out.append('0' if cat == 'Nd' else d)
    return ''.join(out).split()


def shingles(t, n=5):
    w = words(t)
    n = min(n, len(w))
    return {' '.join(w[i:i + n]) for i in range(len(w) - n + 1)}


def jaccard(x, y):
    a, b = shingles(x), shingles(y)
    return len(a & b) / max(1, len(a | b))


def make(d, pairs):
    rng = random.Random(17)
    paras = []
    for pattern in ('/usr/share/doc/python3.11/html/_sources/**/*.rst.txt',):
        for f in sorted(glob.glob(pattern, recursive=True)):
            for p in open(f, encoding='utf-8').read().split('\n\n'):
                if len(p.split()) >= 80:
                    paras.append(' '.join(p.split()))
    paras = sorted(set(paras))
    rng.shuffle(paras)
    base, other = paras[:pairs], paras[pairs:pairs + pairs // 3]

    def edit(text, rate):
        w = text.split()
        out = []
        for x in w:
            r = rng.random()
            if r < rate / 3:
                continue
            out.append(x)
            if r < 2 * rate / 3:
                out.append(rng.choice(w))
        for _ in range(int(len(out) * rate / 3)):
            i = rng.randrange(len(out) - 1)
            out[i], out[i + 1] = out[i + 1], out[i]
        return ' '.join(out)

    half = pairs // 2
    rates = [0.03 * i / half for i in range(half)] + [0.03 + 0.17 * i / (pairs - half) for i in range(pairs - half)]
    b = [edit(t, r) for t, r in zip(base, rates)] + other
    for name, docs in (('a', base), ('b', b)):
        with open(f'{d}/{name}.jsonl', 'w') as f:
            for t in docs:
                f.write(json.dumps({'text': t}) + '\n')
    with open(f'{d}/truth.txt', 'w') as f:
        for i in range(len(base)):
            f.write(f'b.jsonl:{i + 1} a.jsonl:{i + 1}\n')


def score(d, removals):
    docs = {}
    for name in ('a', 'b'):
        for i, line in enumerate(open(f'{d}/{name}.jsonl'), 1):
            docs[f'{name}.jsonl:{i}'] = json.loads(line)['text']
    removed = dict(l.split() for l in open(removals) if l.strip())
    high = found = 0
    for line in open(f'{d}/truth.txt'):
        x, y = line.split()
        if jaccard(docs[x], docs[y]) >= 0.85:
            high += 1
            found += x in removed
    below = sum(jaccard(docs[x], docs[y]) < 0.6 for x, y in removed.items())
    print(json.dumps({'pairs_at_0.85': high, 'recall_at_0.85': found / max(1, high), 'removed': len(removed),
                      'removed_below_0.6': below, 'share_below_0.6': below / max(1, len(removed))}))


if __name__ == '__main__':
    if sys.argv[1] == 'make':
        make(sys.argv[2], int(sys.argv[3]))
    else:
        score(sys.argv[2], sys.argv[3])
