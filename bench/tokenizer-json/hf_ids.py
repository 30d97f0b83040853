#!/usr/bin/env python3
"""Writes Hugging Face tokenizers' ids of each line of a file (encode_batch, no special tokens), one
line of space-separated ids per input line, as `moe-data tokenizer encode` writes them: the check that
the benchmark's encoders give the same ids."""
import sys

from tokenizers import Tokenizer

tok = Tokenizer.from_file(sys.argv[1])
with open(sys.argv[2], encoding="utf-8", newline="") as f:
    lines = f.read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
with open(sys.argv[3], "w") as out:
    for i in range(0, len(lines), 8192):
        for e in tok.encode_batch(lines[i:i + 8192], add_special_tokens=False):
            out.write(" ".join(map(str, e.ids)) + "\n")
