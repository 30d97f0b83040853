#!/usr/bin/env bash
# Sourced by the benchmarks that build rows from bench/ingest's corpus (bench/compact/run.sh,
# bench/build/run.sh), after bench/ingest/prepare.sh (which sets C1 and MODEL):
#   bench_manifest OUTPUT [PACKED_FORMAT]   the manifest of the corpus as one JSONL source, on stdout
#   bench_mixture NAME TOKENS               UL2 for 70.9% of TOKENS then causal LM (OpenMoE-8B's
#                                           780/1100 split), seed 7, on stdout
bench_manifest() {
  cat <<EOF2
name: bench
output: $1
on_error: skip
packed_format: ${2:-explicit}
tokenizer: {model: $MODEL, sentinels: 300}
sources: [{name: corpus, format: jsonl, paths: ["$C1/jsonl/*.jsonl.zst"], domain: web}]
EOF2
}

bench_mixture() {
  cat <<EOF2
name: $1
total_tokens: $2
seed: 7
phases:
  - {name: ul2, budget: {fraction: 0.709}, weights: {corpus: 1}, objective: {type: ul2}}
  - {name: lm, budget: rest, weights: {corpus: 1}, objective: {type: causal}}
EOF2
}
