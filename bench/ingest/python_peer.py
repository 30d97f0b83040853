#!/usr/bin/env python3
"""The Python peer of `moe-data ingest`: what a competent engineer would write with PyPI parts.

Two processes (multiprocessing), each taking one half of the JSONL.zst shards (halves.json,
the same split the two-process spm_encode baseline uses). Each process streams its shards
with `zstandard`, parses each line with `json.loads`, batches documents (~4 MB of text, like
moe-data's batches) and encodes a batch with one `sp.encode(list_of_texts)` call of pip
`sentencepiece` (num_threads=1: two processes = two cores, like `moe-data ingest --jobs 2`).
Token ids are written as uint32 token shards, a simple MDS-like layout:
  <out>/<worker>/shard.NNNNN.tokens.zst   concatenated uint32 ids of the documents, zstd level 3
  <out>/<worker>/shard.NNNNN.offsets      uint64 document start offsets (docs + 1 entries)
A shard is cut after ~64 MiB of raw token bytes (moe-data's default shard size). Compressing
at level 3 matches moe-data's default compression_level, so both do the same work.

Each worker prints a JSON line with its documents, tokens, text bytes and peak RSS.
"""
import argparse
import io
import json
import multiprocessing as mp
import os
import resource
import sys
import time

import numpy as np
import sentencepiece as spm
import zstandard

SHARD_LIMIT = 64 << 20
BATCH_BYTES = 4 << 20


class ShardWriter:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.cctx = zstandard.ZstdCompressor(level=3)
        self.index = 0
        self.parts = []
        self.offsets = [0]
        self.size = 0

    def add(self, ids_list):
        for ids in ids_list:
            if not ids:
                continue
            a = np.asarray(ids, dtype=np.uint32)
            self.parts.append(a)
            self.offsets.append(self.offsets[-1] + len(a))
            self.size += a.nbytes
            if self.size >= SHARD_LIMIT:
                self.flush()

    def flush(self):
        if not self.parts:
            return
        base = os.path.join(self.directory, f"shard.{self.index:05d}")
        data = np.concatenate(self.parts).tobytes()
        with open(base + ".tokens.zst", "wb") as f:
            f.write(self.cctx.compress(data))
        with open(base + ".offsets", "wb") as f:
            f.write(np.asarray(self.offsets, dtype=np.uint64).tobytes())
        self.index += 1
        self.parts = []
        self.offsets = [0]
        self.size = 0


def worker(k, files, model, out, queue):
    sp = spm.SentencePieceProcessor(model_file=model)
    writer = ShardWriter(os.path.join(out, f"worker{k}"))
    dctx = zstandard.ZstdDecompressor()
    docs = tokens = text_bytes = 0
    batch, batch_bytes = [], 0

    def flush_batch():
        nonlocal tokens, docs
        encoded = sp.encode(batch, out_type=int, num_threads=1)
        docs += len(encoded)
        tokens += sum(len(e) for e in encoded)
        writer.add(encoded)

    for path in files:
        with open(path, "rb") as fh, dctx.stream_reader(fh, read_size=1 << 20) as zr:
            for line in io.BufferedReader(zr, buffer_size=1 << 20):
                if not line.strip():
                    continue
                text = json.loads(line)["text"]
                batch.append(text)
                batch_bytes += len(text)
                text_bytes += len(text.encode("utf-8"))
                if batch_bytes >= BATCH_BYTES:
                    flush_batch()
                    batch, batch_bytes = [], 0
    if batch:
        flush_batch()
    writer.flush()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put({"worker": k, "documents": docs, "tokens": tokens, "text_bytes": text_bytes, "peak_rss_kb": rss_kb})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="folder made by make_corpus.py")
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(os.path.join(args.corpus, "halves.json")) as f:
        halves = json.load(f)["halves"]
    start = time.perf_counter()
    queue = mp.get_context("fork").Queue()
    procs = []
    for k, names in enumerate(halves):
        files = [os.path.join(args.corpus, "jsonl", n + ".jsonl.zst") for n in names]
        p = mp.get_context("fork").Process(target=worker, args=(k, files, args.model, args.out, queue))
        p.start()
        procs.append(p)
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            sys.exit(f"worker failed with exit code {p.exitcode}")
    elapsed = time.perf_counter() - start
    summary = {"seconds": elapsed,
               "documents": sum(r["documents"] for r in results),
               "tokens": sum(r["tokens"] for r in results),
               "text_bytes": sum(r["text_bytes"] for r in results),
               "peak_rss_kb_per_worker": [r["peak_rss_kb"] for r in sorted(results, key=lambda r: r["worker"])]}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
