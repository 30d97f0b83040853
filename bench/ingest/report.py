#!/usr/bin/env python3
"""Turns one run folder of run.sh into the Markdown results table (printed on stdout)."""
import argparse
import json
import os
import platform
import re
import subprocess


def time_v(path):
    """Wall seconds and peak RSS (KiB) from a `/usr/bin/time -v` output file."""
    text = open(path).read()
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", text)
    wall = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))
    status = int(re.search(r"Exit status: (\d+)", text).group(1))
    load_path = path[:-len(".time")] + ".load"
    load = open(load_path).read().strip() if os.path.exists(load_path) else "?"
    return {"wall": wall, "rss_kb": rss, "cpu": user + sys_, "status": status, "load": load}


def read(path):
    return open(path).read().strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--date", required=True)
    a = ap.parse_args()
    R = lambda n: os.path.join(a.run, n)
    c1 = json.load(open(os.path.join(a.work, "corpus-x1", "corpus.json")))
    mb = c1["text_bytes"] / 1e6
    rows = []

    def row(name, wall, tokens, rss_kb, rss_note, cpu, text_mb=mb, extra="", load="?"):
        rows.append({"name": name, "wall": wall, "mbps": text_mb / wall, "tps": tokens / wall if tokens else None,
                     "tokens": tokens, "rss_mb": rss_kb / 1024, "rss_note": rss_note, "cpu": cpu, "text_mb": text_mb,
                     "extra": extra, "load": load})

    s1 = time_v(R("spm1.time"))
    row("spm_encode, 1 process", s1["wall"], int(read(R("spm1.tokens"))), s1["rss_kb"], "", s1["cpu"], load=s1["load"])
    sa, sb = time_v(R("spm2a.time")), time_v(R("spm2b.time"))
    st, en = map(float, read(R("spm2.wall")).split())
    row("spm_encode, 2 processes", en - st, int(read(R("spm2.tokens"))), sa["rss_kb"] + sb["rss_kb"],
        f"sum of 2 ({sa['rss_kb'] / 1024:.0f} + {sb['rss_kb'] / 1024:.0f})", sa["cpu"] + sb["cpu"], load=sa["load"])
    peer_t = time_v(R("peer.time"))
    peer = json.load(open(R("peer.json")))
    w = peer["peak_rss_kb_per_worker"]
    row("Python peer (pip sentencepiece + zstandard), 2 processes", peer_t["wall"], peer["tokens"],
        sum(w), f"sum of 2 workers ({w[0] / 1024:.0f} + {w[1] / 1024:.0f}; parent not counted)",
        peer_t["cpu"], load=peer_t["load"])
    moe = time_v(R("moe.time"))
    row("moe-data ingest --jobs 2", moe["wall"], int(read(R("moe.tokens"))), moe["rss_kb"], "one process", moe["cpu"], load=moe["load"])
    if os.path.exists(R("moe1.time")):
        m1 = time_v(R("moe1.time"))
        row("moe-data ingest --jobs 1", m1["wall"], int(read(R("moe.tokens"))), m1["rss_kb"], "one process", m1["cpu"], load=m1["load"])
    double = None
    if os.path.exists(R("moe2x.time")):
        c2 = json.load(open(os.path.join(a.work, "corpus-x2", "corpus.json")))
        d = time_v(R("moe2x.time"))
        double = (c2, d)
        row("moe-data ingest --jobs 2, doubled corpus", d["wall"], None, d["rss_kb"], "one process", d["cpu"],
            text_mb=c2["text_bytes"] / 1e6, load=d["load"])

    by = {r["name"]: r for r in rows}
    ours = by["moe-data ingest --jobs 2"]["mbps"]
    spm2 = by["spm_encode, 2 processes"]["mbps"]
    pyp = by["Python peer (pip sentencepiece + zstandard), 2 processes"]["mbps"]
    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    nproc = os.cpu_count()
    try:
        swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except Exception:
        swift = "?"
    out = []
    P = out.append
    P(f"# moe-data ingest benchmark, {a.date}")
    P("")
    P(f"Machine: {nproc} cores ({cpu}), {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, "
      f"{platform.platform()}; {swift}. Shared machine: other builds may run at the same time; load average at the start of the report: " + open("/proc/loadavg").read().split()[0] + ".")
    P(f"Corpus: {mb:.1f} MB of real text and code ({c1['documents']} documents, {c1['shards']} JSONL.zst shards; "
      f"categories: " + ", ".join(f"{k} {v['bytes'] / 1e6:.0f} MB" for k, v in c1["categories"].items()) + ").")
    P("Tokenizer: SentencePiece unigram, 32000 pieces, trained with spm_train on a ~19 MB sample of the corpus. "
      "MB = 10^6 bytes of document text (UTF-8, before JSON escaping); all tools read warm page cache.")
    P("")
    P("| run | text MB | wall s | MB/s | tokens | tokens/s | CPU s | MB per CPU-s | peak RSS MB | RSS note | load before |")
    P("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in rows:
        P(f"| {r['name']} | {r['text_mb']:.1f} | {r['wall']:.1f} | {r['mbps']:.2f} | "
          f"{r['tokens'] if r['tokens'] else '-'} | {format(r['tps'], ',.0f') if r['tps'] else '-'} | "
          f"{r['cpu']:.1f} | {r['text_mb'] / r['cpu']:.2f} | {r['rss_mb']:.0f} | {r['rss_note']} | {r['load']} |")
    P("")
    P("| ratio | measured | target | met |")
    P("|---|---:|---:|---|")
    P(f"| moe-data / spm_encode 2-proc (MB/s) | {ours / spm2:.2f} | >= 0.90 | {'yes' if ours / spm2 >= 0.9 else 'NO'} |")
    P(f"| moe-data / Python peer (MB/s) | {ours / pyp:.2f} | >= 1.5 | {'yes' if ours / pyp >= 1.5 else 'NO'} |")
    P(f"| moe-data peak RSS, {mb:.0f} MB corpus | {by['moe-data ingest --jobs 2']['rss_mb']:.0f} MB | < 512 MB | "
      f"{'yes' if by['moe-data ingest --jobs 2']['rss_mb'] < 512 else 'NO'} |")
    if double:
        c2, d = double
        P(f"| moe-data peak RSS, doubled corpus ({c2['text_bytes'] / 1e6:.0f} MB) | {d['rss_kb'] / 1024:.0f} MB | < 512 MB | "
          f"{'yes' if d['rss_kb'] / 1024 < 512 else 'NO'} |")
    cpu_eff = lambda n: by[n]["text_mb"] / by[n]["cpu"]
    P(f"| moe-data / spm_encode 2-proc (MB per CPU-second, robust to a busy machine) | "
      f"{cpu_eff('moe-data ingest --jobs 2') / cpu_eff('spm_encode, 2 processes'):.2f} | (context) | |")
    P(f"| moe-data / Python peer (MB per CPU-second) | "
      f"{cpu_eff('moe-data ingest --jobs 2') / cpu_eff('Python peer (pip sentencepiece + zstandard), 2 processes'):.2f} | (context) | |")
    P(f"| spm_encode 2-proc / 1-proc (MB/s) | {spm2 / by['spm_encode, 1 process']['mbps']:.2f} | (context) | |")
    P(f"| Python peer / spm_encode 2-proc (MB/s) | {pyp / spm2:.2f} | (context) | |")
    P("")
    P(f"Output sizes: moe-data tokens/ {int(read(R('moe.outbytes'))) / 1e6:.1f} MB (MDS, zstd 3, with doc_id/meta/source "
      f"columns); Python peer {int(read(R('peer.outbytes'))) / 1e6:.1f} MB (uint32 + offsets, zstd 3).")
    print("\n".join(out))


if __name__ == "__main__":
    main()
