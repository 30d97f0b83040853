#!/usr/bin/env bash
# Parity of the PyTorch peer with moe-data train (issue 20), for one config (default tiny):
#  1. parameter count: the peer's against `moe-data train --dry-run --data` (rounded to 0.1M there) and
#     against the exact element count of our checkpoint;
#  2. step 1 from the same initial weights: the peer recomputes our initialisation (KeyedRandom keyed by
#     tensor name) and must give our step-1 loss, and our parameters after step 1;
#  3. from our safetensors checkpoint after step 1 (weights and Adam moments), steps 2..STEPS must give
#     our logged losses.
#
#   bash bench/train-torch/check.sh [tiny|small]      (STEPS=25 by default)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
BIN="${MOE_DATA_BINARY:-$root/.build/release/moe-data}"
PY="${TORCH_VENV:-/work/bench-data/venv-torch}/bin/python"
DATA="${DATA:-/work/bench-data/h20/sample}"
LOCK="${LOCK:-/work/tools/machine.lock}"
config="${1:-tiny}"
steps="${STEPS:-25}"
out="${WORK:-/work/bench-data/h20}/parity-$config"
rm -rf "$out"
flock -s "$LOCK" "$BIN" train --data "$DATA" --config "$config" --steps "$steps" --no-shuffle --jobs 1 \
  --checkpoint-at "$("$PY" -c "print(1 / $steps)")" --checkpoint-every 100000 --log-every 100 --out "$out" \
  >"$out.train.txt"
first="$out/checkpoint-step000001.safetensors"
"$BIN" train --dry-run --data "$DATA" --config "$config" | tee "$out.dry-run.txt"
"$PY" - "$first" "$out.dry-run.txt" <<'EOF'
import math, re, sys
from safetensors import safe_open
with safe_open(sys.argv[1], "np") as f:
    exact = sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys() if not k.startswith("adam_"))
dry = float(re.search(r"total parameters:\s+([\d.]+)M", open(sys.argv[2]).read()).group(1))
print(f"moe-data: checkpoint holds {exact:,} parameters; --dry-run says {dry}M")
open(sys.argv[1] + ".count", "w").write(f"{exact} {dry}\n")
EOF
read -r exact dry <"$first.count"
flock -s "$LOCK" "$PY" "$here/peer.py" --data "$DATA" --config "$config" --steps 1 --expect-params "$exact" \
  --compare-log "$out/train_log.jsonl" --compare-checkpoint "$first"
"$PY" -c "import sys; c=int(sys.argv[1]); d=float(sys.argv[2]); ok=round(c/1e6,1)==d; \
print(f'check --dry-run: {c/1e6:.1f}M vs {d}M: {\"equal\" if ok else \"DIFFER\"}'); sys.exit(0 if ok else 1)" \
  "$exact" "$dry"
flock -s "$LOCK" "$PY" "$here/peer.py" --data "$DATA" --config "$config" --steps "$steps" --checkpoint "$first" \
  --compare-log "$out/train_log.jsonl" --compare-checkpoint "$out/checkpoint.safetensors"
