#!/usr/bin/env python3
"""datatrove's own tokenization pipeline over the ingest corpus, run in a bench venv
(`pip install datatrove`): JsonlReader over the JSONL.zst shards, then DocumentTokenizer with the
tokenizer.json (EOS appended to each document, as datatrove does; no shuffling, so it does what ingest
does: encode and write), on a LocalPipelineExecutor of 2 tasks on 2 workers with RAYON_NUM_THREADS=1
(two cores, like `moe-data ingest --jobs 2`). Prints one JSON line: seconds, documents, tokens."""
import argparse
import glob
import json
import os
import time

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.tokens import DocumentTokenizer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--eos", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    start = time.perf_counter()
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(os.path.join(a.corpus, "jsonl"), glob_pattern="*.jsonl.zst", compression="zstd"),
            DocumentTokenizer(os.path.join(a.out, "tokens"), tokenizer_name_or_path=a.model, eos_token=a.eos,
                              shuffle_documents=False, save_final_metadata=False),
        ],
        tasks=2, workers=2, logging_dir=os.path.join(a.out, "logs"), skip_completed=False,
    ).run()
    seconds = time.perf_counter() - start
    documents = tokens = 0
    for path in glob.glob(os.path.join(a.out, "logs", "stats", "*.json")):
        for step in json.load(open(path)):
            stats = step.get("stats", {})
            if "documents" in stats and "READER" in step.get("name", ""):
                documents += stats["documents"]["total"]
            if "tokens" in stats:
                tokens += stats["tokens"]["total"]
    print(json.dumps({"seconds": seconds, "documents": documents, "tokens": tokens}))


if __name__ == "__main__":
    main()
