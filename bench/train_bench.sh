#!/usr/bin/env bash
# Trainer throughput: whole training steps (forward, backward, AdamW update) on synthetic 2048-token
# packed rows, against the cblas_sgemm rate measured in the same process with the same thread count.
#
#   bash bench/train_bench.sh            # tiny and small presets, 1 and 2 OpenBLAS threads
#   STEPS=5 CONFIGS="tiny" THREADS="2" bash bench/train_bench.sh
#
# "model GFLOP/s" counts useful FLOPs only: every matrix product of forward and backward (2·m·n·k each,
# backward = 2× forward), attention counted causally within segments, the LM head on loss positions,
# experts on the tokens they kept. "step/sgemm" divides it by the 1024³ sgemm rate (the best case);
# "model-shaped" divides by an sgemm of the FFN input projection's shape (tokens × 2·ffn × d).
# Run it on a quiet machine: other processes on the 2 cores distort the 2-thread figures most.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product moe-data >/dev/null
BIN=.build/release/moe-data
for config in ${CONFIGS:-tiny small}; do
  for threads in ${THREADS:-1 2}; do
    "$BIN" train --config "$config" --benchmark --steps "${STEPS:-3}" --vocab-size "${VOCAB:-8320}" --jobs "$threads"
  done
done
