#!/usr/bin/env python3
"""The Python peer of `moe-data ingest` with a tokenizer.json: what a competent engineer would write with
Hugging Face tokenizers. One process streams the JSONL.zst shards (`zstandard`, `json.loads`), batches
documents (~4 MB of text, like moe-data's batches) and encodes each batch with `Tokenizer.encode_batch`
(no special tokens added) on the library's thread pool (RAYON_NUM_THREADS=2: two cores, like
`moe-data ingest --jobs 2`). Token ids go to uint32 token shards, zstd level 3, cut after ~64 MiB of raw
token bytes, as bench/ingest/python_peer.py writes them:
  <out>/shard.NNNNN.tokens.zst   concatenated uint32 ids of the documents
  <out>/shard.NNNNN.offsets      uint64 document start offsets (documents + 1)
Prints one JSON line: seconds, documents, tokens, text bytes, peak RSS."""
import argparse
import io
import json
import os
import resource
import time

import numpy as np
import zstandard
from tokenizers import Tokenizer

SHARD_LIMIT = 64 << 20
BATCH_BYTES = 4 << 20


class ShardWriter:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.compressor = zstandard.ZstdCompressor(level=3)
        self.index, self.parts, self.offsets, self.size = 0, [], [0], 0

    def add(self, encodings):
        for e in encodings:
            ids = np.asarray(e.ids, dtype=np.uint32)
            if not len(ids):
                continue
            self.parts.append(ids)
            self.offsets.append(self.offsets[-1] + len(ids))
            self.size += ids.nbytes
            if self.size >= SHARD_LIMIT:
                self.flush()

    def flush(self):
        if not self.parts:
            return
        base = os.path.join(self.directory, f"shard.{self.index:05d}")
        with open(base + ".tokens.zst", "wb") as f:
            f.write(self.compressor.compress(np.concatenate(self.parts).tobytes()))
        with open(base + ".offsets", "wb") as f:
            f.write(np.asarray(self.offsets, dtype=np.uint64).tobytes())
        self.index, self.parts, self.offsets, self.size = self.index + 1, [], [0], 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    start = time.perf_counter()
    tok = Tokenizer.from_file(a.model)
    writer = ShardWriter(a.out)
    documents = tokens = text_bytes = 0
    batch, batch_bytes = [], 0

    def flush():
        nonlocal documents, tokens
        encodings = tok.encode_batch(batch, add_special_tokens=False)
        documents += len(encodings)
        tokens += sum(len(e.ids) for e in encodings)
        writer.add(encodings)

    folder = os.path.join(a.corpus, "jsonl")
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as fh, \
                zstandard.ZstdDecompressor().stream_reader(fh, read_size=1 << 20) as reader:
            for line in io.BufferedReader(reader, buffer_size=1 << 20):
                if not line.strip():
                    continue
                text = json.loads(line)["text"]
                batch.append(text)
                batch_bytes += len(text)
                text_bytes += len(text.encode("utf-8"))
                if batch_bytes >= BATCH_BYTES:
                    flush()
                    batch, batch_bytes = [], 0
    if batch:
        flush()
    writer.flush()
    print(json.dumps({"seconds": time.perf_counter() - start, "documents": documents, "tokens": tokens,
                      "text_bytes": text_bytes,
                      "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main()
