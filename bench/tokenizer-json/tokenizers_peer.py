#!/usr/bin/env python3
"""The Python peer of `moe-data ingest` with a tokenizer.json: what a competent engineer would write with
Hugging Face tokenizers. One process streams the JSONL.zst shards (`zstandard`, `json.loads`), batches
documents (~4 MB of text, like moe-data's batches) and encodes each batch with `Tokenizer.encode_batch`
(no special tokens added) on the library's thread pool (RAYON_NUM_THREADS=2: two cores, like
`moe-data ingest --jobs 2`). Token ids go to uint32 token shards, zstd level 3, cut after ~64 MiB of raw
token bytes, by bench/ingest/python_peer.py's writer:
  <out>/shard.NNNNN.tokens.zst   concatenated uint32 ids of the documents
  <out>/shard.NNNNN.offsets      uint64 document start offsets (documents + 1)
Usage: tokenizers_peer.py CORPUS MODEL OUT. Prints one JSON line: seconds, documents, tokens, text bytes,
peak RSS."""
import json
import os
import resource
import sys
import time

from tokenizers import Tokenizer

import prepare

# The issue 2 peer's shard writer (uint32 ids, zstd level 3, ~64 MiB shards), so both peers write alike.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ingest"))
from python_peer import ShardWriter  # noqa: E402

BATCH_BYTES = 4 << 20


def batches(texts):
    """Lists of consecutive texts of about BATCH_BYTES characters each."""
    batch, size = [], 0
    for text in texts:
        batch.append(text)
        size += len(text)
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def main():
    corpus, model, out = sys.argv[1:4]
    start = time.perf_counter()
    tok = Tokenizer.from_file(model)
    writer = ShardWriter(out)
    documents = tokens = text_bytes = 0
    # The corpus's documents in shard order, streamed (prepare.py: zstandard, json.loads per line).
    for batch in batches(prepare.documents(corpus)):
        text_bytes += sum(len(t.encode("utf-8")) for t in batch)
        encodings = tok.encode_batch(batch, add_special_tokens=False)
        documents += len(encodings)
        tokens += sum(len(e.ids) for e in encodings)
        writer.add([e.ids for e in encodings])
    writer.flush()
    print(json.dumps({"seconds": time.perf_counter() - start, "documents": documents, "tokens": tokens,
                      "text_bytes": text_bytes,
                      "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main()
