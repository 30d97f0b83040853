#!/usr/bin/env python3
"""The Markdown table of one bench/ingest/pipeline.sh run: RUN REPS DATE CORPUS_X1 CORPUS_X2."""
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import time_v  # noqa: E402  (wall, CPU, peak RSS and load of a /usr/bin/time -v file)

run, reps, date, c1, c2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
corpus = json.load(open(os.path.join(c1, "corpus.json")))
corpus2 = json.load(open(os.path.join(c2, "corpus.json")))
mb = corpus["text_bytes"] / 1e6
rows = {}
for name, label in [("moe1", "`moe-data ingest --jobs 1`"), ("moe2", "`moe-data ingest --jobs 2`"),
                    ("peer", "Python peer, 2 processes"), ("spm", "`spm_encode`, 1 process")]:
    runs = [time_v(os.path.join(run, f"{name}-{r}.time")) for r in range(1, reps + 1)]
    rows[name] = (label, runs)
med = {k: statistics.median(r["wall"] for r in runs) for k, (_, runs) in rows.items()}
cpu = {k: statistics.median(r["cpu"] for r in runs) for k, (_, runs) in rows.items()}
rss = {k: max(r["rss_kb"] for r in runs) for k, (_, runs) in rows.items()}
print(f"# Ingest pipeline (issue 15), {date}\n")
print(f"Corpus: {mb:.1f} MB of real text and code ({corpus['documents']:,} documents, "
      f"{corpus['documents_over_1mib']} of them over 1 MiB, the largest {corpus['max_doc_bytes'] / 1e6:.1f} MB), bench/ingest/make_corpus.py --max-doc-kb 8192; "
      f"SentencePiece unigram 32k. Machine: 2 cores, shared. {reps} alternating reps; medians.\n")
head = " | ".join(f"rep {r}" for r in range(1, reps + 1))
print(f"| run | {head} | median s | MB/s | median CPU s | CPU s per MB | peak RSS MB |")
print("|---|" + "---:|" * (reps + 5))
for k, (label, runs) in rows.items():
    walls = " | ".join(f"{r['wall']:.1f}" for r in runs)
    print(f"| {label} | {walls} | {med[k]:.1f} | {mb / med[k]:.1f} | {cpu[k]:.1f} | {cpu[k] / mb:.3f} | "
          f"{rss[k] / 1024:.0f} |")
x2 = time_v(os.path.join(run, "moe2x.time"))
print(f"\n`moe-data ingest --jobs 2` on the doubled corpus ({corpus2['text_bytes'] / 1e6:.1f} MB): "
      f"{x2['wall']:.1f} s, peak RSS {x2['rss_kb'] / 1024:.0f} MB (x1: {rss['moe2'] / 1024:.0f} MB).\n")
print("| ratio | measured | target | met |")
print("|---|---:|---:|---|")
for text, value, target in [
    ("`--jobs 1` time / `--jobs 2` time", med["moe1"] / med["moe2"], 1.85),
    ("Python peer time / `--jobs 2` time", med["peer"] / med["moe2"], 1.8),
]:
    print(f"| {text} | {value:.2f} | >= {target} | {'yes' if value >= target else 'no'} |")
print(f"| peak RSS of `--jobs 2`, x1 and x2 (MB) | {rss['moe2'] / 1024:.0f}, {x2['rss_kb'] / 1024:.0f} | < 300 | "
      f"{'yes' if max(rss['moe2'], x2['rss_kb']) < 300 * 1024 else 'no'} |")
print(f"\nPer core: `--jobs 1` encodes {mb / cpu['moe1']:.1f} MB of text per CPU second (reading, encoding, "
      f"writing), `spm_encode` {mb / cpu['spm']:.1f} (encoding plain text only).")
shards = {open(os.path.join(run, f"moe{j}-{r}.shards")).read().strip() for j in (1, 2) for r in range(1, reps + 1)}
counts = {open(os.path.join(run, f"moe{j}-{r}.counts")).read().strip() for j in (1, 2) for r in range(1, reps + 1)}
print(f"\nShards the same in every moe-data run (sha256 of tokens/): {'yes' if len(shards) == 1 else 'NO'}; "
      f"documents, tokens, skipped: {', '.join(counts)}.")
loads = ", ".join(f"{k}-{r} {open(os.path.join(run, f'{k}-{r}.load')).read().strip()}"
                  for r in range(1, reps + 1) for k in rows)
print(f"\nLoad average (1 min) before each run: {loads}.")
