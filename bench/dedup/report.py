"""Prints bench/dedup's table from its work folder (accuracy, times) as Markdown."""
import json, os, sys

d, work = sys.argv[1], sys.argv[2]
print('# bench/dedup\n\n## Accuracy on planted near-duplicates (planted.py)\n')
print('| | planted pairs at J >= 0.85 | recall there | removed | removed below J 0.6 |')
print('|---|---|---|---|---|')
for line in open(os.path.join(d, 'accuracy')):
    name, text = line.split(' ', 1)
    r = json.loads(text)
    print(f"| {name} | {r['pairs_at_0.85']} | {r['recall_at_0.85']:.1%} | {r['removed']} | "
          f"{r['removed_below_0.6']} ({r['share_below_0.6']:.2%}) |")
def documents(run):
    """(documents, text bytes) of a run's corpus: the ingest's catalog counts them."""
    import sqlite3
    db = sqlite3.connect(os.path.join(d, f'out-{run}', 'catalog.sqlite'))
    docs, = db.execute('SELECT SUM(documents) FROM sources').fetchone()
    text, = db.execute('SELECT SUM(bytes_in) FROM sources').fetchone()
    return docs, text


times = {}
for line in open(os.path.join(d, 'times')):
    f = line.split()
    if len(f) == 5 and f[0][0].isalpha():
        times[f[0]] = (float(f[1]) + float(f[2]), int(f[3]), float(f[4]))
if times:
    print('\n## Speed and memory (one thread each; CPU = user + sys)\n')
    print('| run | documents | input MB (catalog bytes_in) | CPU s | documents per CPU-second | peak RSS MB | wall s |')
    print('|---|---|---|---|---|---|---|')
    for label, (cpu, rss, wall) in times.items():
        run = label.split('-', 1)[1]
        docs, text = documents(run)
        print(f"| {label} | {docs} | {text / 1e6:.0f} | {cpu:.1f} | {docs / cpu:.0f} | {rss / 1024:.0f} | {wall:.1f} |")
