#!/usr/bin/env bash
# Upcycled vs from scratch, dropless vs dropping (issue 17, item 5; OpenMoE's comparison of Mixtral and
# DeepSeek-MoE), not part of CI.
#
# On the README's sample build: trains the dense model of the tiny shape (`train --dense`), then four tiny
# MoE models on the same rows for the same steps (scratch + dropping, scratch + dropless, upcycled +
# dropping, upcycled + dropless; gates renormalized in all four, as Mixtral, so that upcycling starts
# from the dense model's function), analyzes each and prints their token-id specialization side by side.
#
#   bench/routing/upcycle.sh [DENSE_STEPS] [STEPS] [WORK]     (defaults: 500, 500, runs/upcycle; 13 minutes)
#
# On the shared machine run it as a long job: `echo 19 > /proc/self/autogroup; flock -s ... bash ...`.
DENSE_STEPS=${1:-500}
STEPS=${2:-500}
WORK=${3:-runs/upcycle}
source "$(dirname "$0")/common.sh"
build_corpus "$WORK/data" 2000000

common=(--data "$WORK/data" --config tiny --seed 0 --jobs 2 --log-every 50 --checkpoint-every 100
    --gates renormalized)

say "dense: $DENSE_STEPS steps"
rm -rf "$WORK/dense" "$WORK"/scratch-* "$WORK"/upcycled-*
$B train "${common[@]}" --steps "$DENSE_STEPS" --dense --out "$WORK/dense" > "$WORK/dense.log"
for start in scratch upcycled; do
    for capacity in dropping dropless; do
        name=$start-$capacity
        args=(--steps "$STEPS" --out "$WORK/$name")
        [ "$start" = upcycled ] && args+=(--upcycle-from "$WORK/dense/checkpoint.safetensors")
        [ "$capacity" = dropless ] && args+=(--dropless)
        say "$name: $STEPS steps"
        $B train "${common[@]}" "${args[@]}" > "$WORK/$name.log"
        $B analyze "$WORK/$name/checkpoint.safetensors" --data "$WORK/data" --rows 32 --jobs 2 \
            --out "$WORK/$name-report" > "$WORK/$name-analyze.log"
    done
done

python3 - "$WORK" <<'EOF'
import json, sys
work = sys.argv[1]
print("| model | token-id specialization score | per-id std (uniform baseline) | position score |"
      " neighbours agree (shuffled) | train CE, last 10 steps |")
print("|---|---|---|---|---|---|")
for name in ["scratch-dropping", "scratch-dropless", "upcycled-dropping", "upcycled-dropless"]:
    report = json.load(open(f"{work}/{name}-report/report.json"))
    spec, layer = report["specialization"], report["settings"]["layer"]
    ids, pos = spec["token_id"], spec["position"]
    n = report["neighbours"][layer]
    log = [json.loads(l) for l in open(f"{work}/{name}/train_log.jsonl")]
    ce = sum(r["ce"] for r in log[-10:]) / len(log[-10:])
    print(f"| {name} | {ids['score']:.3f} | {ids['mean_std']:.4f} ({ids['uniform_std']:.4f}) | {pos['score']:.3f} |"
          f" {100 * n['same_top1']:.1f}% ({100 * n['shuffled_positions']:.1f}%) | {ce:.3f} |")
EOF
say "done"
