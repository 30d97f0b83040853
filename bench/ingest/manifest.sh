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

# bench_mixture NAME TOKENS: prints the two-phase mixture the build benchmarks use over that one
# source: UL2 for 70.9% of TOKENS, then causal LM (OpenMoE-8B's 780/1100 split), seed 7.
bench_mixture() {
  cat <<EOF
name: $1
total_tokens: $2
seed: 7
phases:
  - {name: ul2, budget: {fraction: 0.709}, weights: {corpus: 1}, objective: {type: ul2}}
  - {name: lm, budget: rest, weights: {corpus: 1}, objective: {type: causal}}
EOF
}
