"""The table of bench/build/run.sh: python3 report.py RUN REPS DATE CORPUS (markdown on stdout)."""
import json
import os
import statistics
import sys

run, reps, date, corpus = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def load(name):
    with open(os.path.join(run, name)) as f:
        return f.read().strip()


def wall(jobs, rep):
    start, end = map(float, load(f"build-{jobs}-{rep}.wall").split())
    return end - start


info = json.loads(open(os.path.join(corpus, "corpus.json")).read())
documents, corpus_tokens = map(int, load("corpus.counts").split("|"))
meta = json.loads(load("moe-data.json"))
index = json.loads(load("index.json"))
source_tokens = sum(p["budget"] for p in meta["phases"])
walls = {j: [wall(j, r) for r in range(1, reps + 1)] for j in (1, 2)}
medians = {j: statistics.median(walls[j]) for j in (1, 2)}
cpus = {j: statistics.median(sum(map(float, load(f"build-{j}-{r}.cpu").split())) for r in range(1, reps + 1))
        for j in (1, 2)}
rows = {load(f"build-{j}-{r}.rows") for j in (1, 2, "p") for r in range(1, reps + 1)}
pairs = [wall("p", r) for r in range(1, reps + 1)]
sliced = [wall("s2", r) for r in range(1, reps + 1)]
sliced_rows = {int(load(f"build-s2-{r}.rowcount")) for r in range(1, reps + 1)}

print(f"# Multi-core build (issue 18.1), {date}\n")
print(f"Corpus: {info['text_bytes'] / 1e6:.1f} MB of real text and code ({documents:,} documents, "
      f"{corpus_tokens:,} tokens); SentencePiece unigram 32k. `build`: {source_tokens:,} source tokens, "
      f"UL2 then causal LM, {meta['rows']:,} rows of {meta['seq_len']} tokens in {len(index['shards'])} "
      f"shards. Machine: {os.cpu_count()} cores, shared. {reps} alternating reps; medians.\n")
print("| build | " + " | ".join(f"rep {r}" for r in range(1, reps + 1))
      + " | median s | source tokens/s | median CPU s (user + sys) |")
print("|---|" + "---:|" * (reps + 3))
for j in (1, 2):
    cells = " | ".join(f"{w:.2f}" for w in walls[j])
    print(f"| `--jobs {j}` | {cells} | {medians[j]:.2f} | {source_tokens / medians[j]:,.0f} | {cpus[j]:.2f} |")
cells = " | ".join(f"{w:.2f}" for w in pairs)
print(f"| two `--jobs 1` builds at once (each all rows) | {cells} | {statistics.median(pairs):.2f} | "
      f"{2 * source_tokens / statistics.median(pairs):,.0f} | |")
cells = " | ".join(f"{w:.2f}" for w in sliced)
print(f"| 2 slices x 1 CPU, local Slurm | {cells} | {statistics.median(sliced):.2f} | "
      f"{source_tokens / statistics.median(sliced):,.0f} | |")
speedup = medians[1] / medians[2]
print("\n| ratio | measured | target | met |")
print("|---|---:|---:|---|")
print(f"| `--jobs 1` time / `--jobs 2` time | {speedup:.2f} | >= 1.80 | {'yes' if speedup >= 1.8 else 'no'} |")
limit = 2 * medians[1] / statistics.median(pairs)
print(f"| the machine's limit: 2 x `--jobs 1` time / two `--jobs 1` at once | {limit:.2f} | | |")
print(f"| `--jobs 2` against that limit | {speedup / limit:.0%} | | |")
loads = ", ".join(f"{j}-{r} {load(f'build-{j}-{r}.load')}" for r in range(1, reps + 1) for j in (1, 2, "p", "s2"))
print(f"\nRows of the sliced builds: {', '.join(map(str, sorted(sliced_rows)))} (one process: {meta['rows']:,}; "
      "the tests compare them row by row).")
print(f"\nRows the same in every build (sha256 of packed/): {'yes' if len(rows) == 1 else 'NO'}. "
      f"Load average (1 min) before each build: {loads}.")
node_hours = 1.1e12 / (source_tokens / medians[2]) / 3600
print(f"\nAt the `--jobs 2` rate, 1.1T source tokens take {node_hours:,.0f} hours of this 2-core machine.")
