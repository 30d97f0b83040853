"""The table of bench/compact/run.sh: python3 report.py RUN REPS DATE TOKENS (markdown on stdout)."""
import json
import os
import re
import statistics
import sys

run, reps, date, tokens_arg = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
layouts = ["explicit", "compact"]


def load(path):
    with open(os.path.join(run, path)) as f:
        return f.read()


def wall(name):
    start, end = map(float, load(name).split())
    return end - start


sizes = {}
for layout in layouts:
    index = json.loads(load(f"{layout}/index.json"))
    meta = json.loads(load(f"{layout}/moe-data.json"))
    source_tokens = sum(p["budget"] for p in meta["phases"])
    cells = meta["rows"] * meta["seq_len"]
    raw = sum(s["raw_data"]["bytes"] for s in index["shards"])
    zipped = sum(s["zip_data"]["bytes"] for s in index["shards"])
    sizes[layout] = dict(rows=meta["rows"], shards=len(index["shards"]), tokens=source_tokens, cells=cells,
                         raw=raw, zip=zipped)

reads = {layout: [] for layout in layouts}
paths = {layout: [] for layout in layouts}
pattern = re.compile(r"read (\d+) rows in ([\d.]+) s, (\d+) rows/s .* with one-row batches (\d+) rows/s")
for layout in layouts:
    for rep in range(1, reps + 1):
        m = pattern.search(load(f"read-{layout}-{rep}.txt"))
        if not m:
            sys.exit(f"read-{layout}-{rep}.txt: no rows/s figure")
        reads[layout].append(float(m.group(3)))
        paths[layout].append(float(m.group(4)))
builds = {layout: [wall(f"build-{layout}-{rep}.wall") for rep in range(1, reps + 1)] for layout in layouts}

e, c = sizes["explicit"], sizes["compact"]
print(f"# Compact packed layout (issue 18.3), {date}\n")
print(f"bench/ingest's corpus, SentencePiece unigram 32k; `build --total-tokens` {tokens_arg}: "
      f"{e['tokens']:,} source tokens in {e['rows']:,} rows of {e['cells'] // e['rows']} tokens, UL2 then "
      f"causal LM. Machine: {os.cpu_count()} cores, shared. {reps} alternating reps; medians.\n")
print("| layout | rows | shards | raw bytes | raw B / source token | raw B / cell | zstd bytes | "
      "zstd B / source token | zstd B / cell |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for layout in layouts:
    s = sizes[layout]
    print(f"| {layout} | {s['rows']:,} | {s['shards']} | {s['raw']:,} | {s['raw'] / s['tokens']:.2f} | "
          f"{s['raw'] / s['cells']:.2f} | {s['zip']:,} | {s['zip'] / s['tokens']:.2f} | {s['zip'] / s['cells']:.2f} |")
print(f"| explicit / compact | | | {e['raw'] / c['raw']:.2f}x | | | {e['zip'] / c['zip']:.2f}x | | |")
print()
head = " | ".join(f"rep {r}" for r in range(1, reps + 1))
print(f"| measure | layout | {head} | median |")
print("|---|---|" + "---:|" * (reps + 1))
for label, data, fmt in [("build wall s", builds, "{:.2f}"), ("rows/s read (trainer's stream)", reads, "{:,.0f}"),
                         ("rows/s read + TokenBatch", paths, "{:,.0f}")]:
    for layout in layouts:
        xs = data[layout]
        print(f"| {label} | {layout} | " + " | ".join(fmt.format(x) for x in xs) + " | "
              + fmt.format(statistics.median(xs)) + " |")
print()
ratio = statistics.median(reads["compact"]) / statistics.median(reads["explicit"])
build_ratio = statistics.median(builds["compact"]) / statistics.median(builds["explicit"])
print(f"Read rate compact / explicit: {ratio:.2f}. Build time compact / explicit: {build_ratio:.2f}. "
      "Load average (1 min) before each build: " + ", ".join(
          f"{layout}-{r} {load(f'build-{layout}-{r}.load').strip()}" for r in range(1, reps + 1) for layout in layouts)
      + ".")
