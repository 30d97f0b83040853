#!/usr/bin/env python3
"""The Markdown table of bench/tokenizer-json/run.sh: medians of the rounds, ratios, load averages."""
import argparse
import json
import os
import re
import statistics


def time_v(path):
    """(wall seconds, CPU seconds, peak RSS MB) from /usr/bin/time -v."""
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (.*)", text).group(1)
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** (len(parts) - 1 - i) for i, p in enumerate(parts))
    cpu = float(re.search(r"User time \(seconds\): (.*)", text).group(1)) + float(
        re.search(r"System time \(seconds\): (.*)", text).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (.*)", text).group(1)) / 1024
    return seconds, cpu, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--date", required=True)
    a = ap.parse_args()
    run = a.run
    out = [f"# tokenizer.json benchmarks, {a.date} (`bench/tokenizer-json/run.sh`, median of {a.rounds} "
           "alternating rounds)", ""]
    for kind in ("gpt2", "llama3"):
        verdict, lines = open(os.path.join(run, f"{kind}.ids")).read().split()
        out.append(f"- ids of `{kind}.json` on {int(lines):,} lines: native and tokenizers {verdict}")
    out += ["", "## Encoder, one core (lines in memory)", "",
            "| model | native MB/s | encode_batch MB/s | encode_batch_fast MB/s | native / encode_batch | "
            "native / fast | load (1 min) |", "|---|---|---|---|---|---|---|"]
    rows = [json.loads(l) for l in open(os.path.join(run, "encoder.jsonl"))]
    for kind in ("gpt2", "llama3"):
        speed = {}
        loads = []
        for who in ("native", "encode_batch", "encode_batch_fast"):
            values = []
            for r in rows:
                if r["kind"] != kind or r["who"] != who:
                    continue
                loads.append(r["load"])
                if who == "native":
                    values.append(float(re.search(r"MB/s ([0-9.]+)", r["line"]).group(1)))
                else:
                    values.append(r["result"]["bytes"] / r["result"]["seconds"] / 1e6)
            speed[who] = statistics.median(values)
        out.append(f"| {kind} | {speed['native']:.2f} | {speed['encode_batch']:.2f} | "
                   f"{speed['encode_batch_fast']:.2f} | {speed['native'] / speed['encode_batch']:.1f}x | "
                   f"{speed['native'] / speed['encode_batch_fast']:.1f}x | {min(loads):.2f}-{max(loads):.2f} |")
    corpus = json.load(open(os.path.join(a.corpus, "corpus.json")))
    mb = corpus["text_bytes"] / 1e6
    out += ["", f"## Ingest, two cores ({mb:.0f} MB of JSONL.zst, {corpus['documents']:,} documents, gpt2.json)", "",
            "| run | wall s (median) | MB/s | CPU s | peak RSS MB | tokens | moe-data is | load (1 min) |",
            "|---|---|---|---|---|---|---|---|"]
    results = {}
    for who in ("moe", "peer", "datatrove"):
        walls, cpus, rsss, loads = [], [], [], []
        for k in range(1, a.rounds + 1):
            path = os.path.join(run, f"{who}-{k}.time")
            if not os.path.exists(path):
                continue
            w, c, r = time_v(path)
            walls.append(w); cpus.append(c); rsss.append(r)
            loads.append(float(open(os.path.join(run, f"{who}-{k}.load")).read()))
        if not walls:
            continue
        if who == "moe":
            tokens = int(open(os.path.join(run, "moe-1.tokens")).read())
        else:
            tokens = json.load(open(os.path.join(run, f"{who}-1.json")))["tokens"]
        results[who] = (statistics.median(walls), statistics.median(cpus), max(rsss), tokens, loads)
    names = {"moe": "`moe-data ingest --jobs 2`", "peer": "Python peer, tokenizers on 2 threads",
             "datatrove": "datatrove DocumentTokenizer, 2 workers (+EOS per document)"}
    base = results["moe"][0]
    for who, (wall, cpu, rss, tokens, loads) in results.items():
        ratio = "" if who == "moe" else f"{wall / base:.1f}x faster"
        # datatrove's workers are a process pool whose CPU time and memory /usr/bin/time does not see.
        usage = "n/a | n/a" if who == "datatrove" else f"{cpu:.0f} | {rss:.0f}"
        out.append(f"| {names[who]} | {wall:.1f} | {mb / wall:.1f} | {usage} | {tokens:,} | {ratio} | "
                   f"{min(loads):.2f}-{max(loads):.2f} |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
