#!/usr/bin/env bash
# Sourced by the benchmarks that read bench/ingest's corpus (prepare.sh sources it too).
# corpus_manifest CORPUS OUTPUT [MODEL] [EXTRA]: prints a manifest of one JSONL source, CORPUS's
# jsonl/*.jsonl.zst, tokenized with MODEL (default $MODEL, 300 sentinels) into OUTPUT; EXTRA adds
# top-level lines (e.g. "packed_format: compact").
corpus_manifest() {
  cat <<EOF
name: bench
output: $2
on_error: skip
${4:-}
tokenizer:
  model: ${3:-$MODEL}
  sentinels: 300
sources:
  - name: corpus
    format: jsonl
    paths: ["$1/jsonl/*.jsonl.zst"]
    domain: web
EOF
}
