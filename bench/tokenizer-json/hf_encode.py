#!/usr/bin/env python3
"""Times Hugging Face tokenizers on the lines of a file, as `moe-data tokenizer bench` times the native
encoder: the lines are read first, then encoded in batches of 8,192 with `encode_batch` (no special
tokens added); set RAYON_NUM_THREADS for the thread count. Prints one JSON line: seconds, tokens, bytes,
lines (hf_ids.py checks that the ids are ours)."""
import json
import sys
import time

from tokenizers import Tokenizer

model, path = sys.argv[1], sys.argv[2]
method = sys.argv[3] if len(sys.argv) > 3 else "encode_batch"
tok = Tokenizer.from_file(model)
with open(path, encoding="utf-8", newline="") as f:
    lines = f.read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
encode = getattr(tok, method)
start = time.perf_counter()
tokens = 0
for i in range(0, len(lines), 8192):
    for e in encode(lines[i:i + 8192], add_special_tokens=False):
        tokens += len(e.ids)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "tokens": tokens, "bytes": sum(len(l.encode()) for l in lines),
                  "lines": len(lines), "method": method}))
