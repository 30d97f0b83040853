#!/usr/bin/env bash
# The fair run for OpenMoE's early-routing-learning finding (issue 17, item 6), not part of CI.
#
# Builds a corpus larger than the README's sample (the same sources, 3.3M tokens: every source read at
# most once), trains the tiny model for STEPS steps twice, with seeds 0 and 1, keeping checkpoints of
# seed 0 at 1, 5, 10, 25, 50 and 100% of the run, then analyzes seed 0's checkpoints with seed 1's last
# as the two-seed control, and the shipped probe file.
#
#   bench/routing/fair-run.sh [STEPS] [WORK]       (defaults: 3000, runs/fair; 32 minutes on 2 cores)
#
# The two trainings run side by side with one OpenBLAS thread each. On the shared machine run it as a
# long job, not a benchmark: `echo 19 > /proc/self/autogroup; flock -s /work/tools/machine.lock ...`.
STEPS=${1:-3000}
WORK=${2:-runs/fair}
source "$(dirname "$0")/common.sh"
build_corpus "$WORK/data" 3300000

train() {  # seed, folder, extra arguments
    local seed=$1 out=$2
    shift 2
    $B train --data "$WORK/data" --config tiny --steps "$STEPS" --seed "$seed" --jobs 1 --log-every 100 \
        --checkpoint-every 250 --eval-rows 32 --eval-every 500 --out "$out" "$@" > "$out.log" 2>&1
}
say "training $STEPS steps, seeds 0 and 1"
start=$(date +%s)
rm -rf "$WORK/seed0" "$WORK/seed1"
train 0 "$WORK/seed0" --checkpoint-at 0.01,0.05,0.1,0.25,0.5,1.0 &
first=$!
train 1 "$WORK/seed1" &
second=$!
wait "$first"
wait "$second"
say "trained in $(( $(date +%s) - start )) s"

start=$(date +%s)
$B analyze "$WORK"/seed0/checkpoint-step*.safetensors --data "$WORK/data" --rows 64 --jobs 2 \
    --control "$WORK/seed1/checkpoint.safetensors" --probe bench/routing/probe-instructions.jsonl \
    --out "$WORK/report" | tee "$WORK/analyze.log"
say "analyzed in $(( $(date +%s) - start )) s; report: $WORK/report/report.md"
