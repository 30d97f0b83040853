#!/usr/bin/env python3
"""The results table of run.sh from its runs.tsv (also of an unfinished run).

    summarize.py RUNS_TSV MOE_DATA_BINARY
"""
import csv, statistics, subprocess, sys, torch
runs = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
by = {}
for r in runs:
    by.setdefault((r["config"], r["threads"], r["impl"]), []).append(float(r["tokens_per_s"]))
version = subprocess.run([sys.argv[2], "--version"], capture_output=True, text=True).stdout.split("\n")
version = ", ".join(line.strip() for line in version[:2])
print(f"# moe-data train vs PyTorch peer ({len({r['round'] for r in runs})} rounds)\n")
print(f"moe-data: {version}; torch {torch.__version__}; load averages at run starts: "
      f"{min(float(r['loadavg']) for r in runs):.2f}-{max(float(r['loadavg']) for r in runs):.2f}\n")
print("tokens/s over steps 6-40 (median of the rounds; ratio = moe-data / PyTorch)\n")
print("| config | threads | moe-data train | PyTorch eager | torch.compile | ours/eager | ours/compile |")
print("|---|---|---|---|---|---|---|")
for config in dict.fromkeys(r["config"] for r in runs):
    for threads in dict.fromkeys(r["threads"] for r in runs):
        m = {i: statistics.median(by[(config, threads, i)]) for i in ("moe-data", "torch-eager", "torch-compile")
             if (config, threads, i) in by}
        cell = lambda i: f"{m[i]:,.0f}" if i in m else "-"
        ratio = lambda i: f"{m['moe-data'] / m[i]:.2f}x" if i in m and "moe-data" in m else "-"
        print(f"| {config} | {threads} | {cell('moe-data')} | {cell('torch-eager')} | {cell('torch-compile')} "
              f"| {ratio('torch-eager')} | {ratio('torch-compile')} |")
print("\nEvery run (tokens/s, peak RSS):\n")
print("| round | config | threads | impl | tokens/s | peak RSS MB | load avg |")
print("|---|---|---|---|---|---|---|")
for r in runs:
    print(f"| {r['round']} | {r['config']} | {r['threads']} | {r['impl']} | {float(r['tokens_per_s']):,.0f} "
          f"| {r['peak_rss_mb']} | {r['loadavg']} |")
