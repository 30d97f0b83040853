#!/usr/bin/env bash
# moe-data train against its PyTorch peer (peer.py, issue 20): the same model and packed rows of the
# built-in sample, one 2048-token row per step, in dataset order. Runs alternate in one invocation:
# per round, per config, per thread count: moe-data train (--jobs N), PyTorch eager, PyTorch with
# torch.compile (torch.set_num_threads(N), OMP_NUM_THREADS=N); the order of the three rotates each round.
# tokens/s = non-padding tokens of steps 6-40 / their step time; the table shows the median of the rounds.
#
#   bash bench/train-torch/run.sh                       # tiny and small, 1 and 2 threads, 3 rounds
#   CONFIGS=tiny ROUNDS=4 bash bench/train-torch/run.sh
#   CONFIGS=small IMPLS="moe-data torch-eager" bash bench/train-torch/run.sh   # without torch.compile
#
# Each run holds the machine lock exclusively (flock -x), one run per hold. torch is not part of the
# project or CI: it lives in a venv outside the repository (TORCH_VENV, default
# /work/bench-data/venv-torch: pip install torch==2.13.0+cpu numpy safetensors zstandard).
# DATA is a `moe-data build` output of the sample (made with the README's first command if missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
BIN="${MOE_DATA_BINARY:-$root/.build/release/moe-data}"
PY="${TORCH_VENV:-/work/bench-data/venv-torch}/bin/python"
DATA="${DATA:-/work/bench-data/h20/sample}"
WORK="${WORK:-/work/bench-data/h20/runs-$(date -u +%Y%m%dT%H%M%SZ)}"
LOCK="${LOCK:-/work/tools/machine.lock}"
CONFIGS="${CONFIGS:-tiny small}"
THREADS="${THREADS:-1 2}"
ROUNDS="${ROUNDS:-3}"
STEPS=40
FIRST=6
mkdir -p "$WORK"
if [ ! -f "$DATA/packed/index.json" ]; then
  (cd "$root" && flock -s "$LOCK" "$BIN" build manifests/sample.yaml --mixture mixtures/openmoe-8b.yaml \
    --total-tokens 2000000 --output "$DATA")
fi
results="$WORK/runs.tsv"
printf 'round\tconfig\tthreads\timpl\ttokens_per_s\tpeak_rss_mb\tloadavg\n' >"$results"

# tokens/s of steps FIRST..STEPS from a JSON-lines log with tokens and either seconds or tokens_per_s.
rate() {
  "$PY" - "$1" "$FIRST" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r["step"] >= int(sys.argv[2])]
seconds = sum(r["seconds"] if "seconds" in r else r["tokens"] / r["tokens_per_s"] for r in rows)
print(f"{sum(r['tokens'] for r in rows) / seconds:.1f}")
EOF
}

measure() {  # round config threads impl
  local round=$1 config=$2 threads=$3 impl=$4 dir="$WORK/$1-$2-$3-$4"
  mkdir -p "$dir"
  # The load average is read once the lock is held (while waiting, others' compiles raise it).
  local loaded=(sh -c 'cut -d" " -f1 /proc/loadavg >"$0/load" && exec "$@"' "$dir")
  if [ "$impl" = moe-data ]; then
    flock -x "$LOCK" "${loaded[@]}" /usr/bin/time -f %M -o "$dir/rss" "$BIN" train --data "$DATA" --config "$config" \
      --steps "$STEPS" --no-shuffle --jobs "$threads" --checkpoint-every 100000 --log-every 100 \
      --out "$dir/out" >"$dir/stdout" 2>&1
    log="$dir/out/train_log.jsonl"
  else
    local flag=()
    [ "$impl" = torch-compile ] && flag=(--compile)
    OMP_NUM_THREADS=$threads flock -x "$LOCK" "${loaded[@]}" /usr/bin/time -f %M -o "$dir/rss" "$PY" "$here/peer.py" \
      --data "$DATA" --config "$config" --steps "$STEPS" --threads "$threads" "${flag[@]}" \
      --log "$dir/log.jsonl" >"$dir/stdout" 2>&1
    log="$dir/log.jsonl"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$config" "$threads" "$impl" "$(rate "$log")" \
    "$(($(tail -1 "$dir/rss") / 1024))" "$(cat "$dir/load")" | tee -a "$results"
}

read -r -a impls <<<"${IMPLS:-moe-data torch-eager torch-compile}"
n=${#impls[@]}
for round in $(seq 1 "$ROUNDS"); do
  for config in $CONFIGS; do
    for threads in $THREADS; do
      for i in $(seq 0 $((n - 1))); do
        measure "$round" "$config" "$threads" "${impls[$(((i + round - 1) % n))]}"
      done
    done
  done
done

out="${OUT:-$here/results-$(date -u +%Y-%m-%d).md}"
"$PY" "$here/summarize.py" "$results" "$BIN" >"$out"
echo "wrote $out (runs in $WORK)"
