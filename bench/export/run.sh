#!/usr/bin/env bash
# Export throughput (issue 16): `moe-data export megatron` and `export olmo` in MB/s of files written,
# against the disk's limit measured in the same run: `dd conv=fsync` copying a file of the same number
# of bytes (read from the page cache, written and synced, as the exports read cached shards and sync
# each file they write). bench/ingest's 210 MB corpus and 32k unigram model (padded vocabulary 32,384:
# uint16 tokens), ingested, then built with TOKENS source tokens (default 50M of its 53.5M): UL2 for 30%, then
# causal LM, so that the OLMo export (the causal phase) is large enough to time.
#
#   megatron   every source's documents + EOS (the whole ingest) and the causal phase's rows
#   olmo       the causal phase's token stream (rows without padding), 1 GiB files, .csv.gz metadata
#
# Alternating, REPS times (default 3), medians reported: odd reps export then dd, even reps dd then
# export; each export writes a fresh folder (the previous one removed first).
#
#   bash bench/export/run.sh           # ~5 minutes the first time (ingest and build), then ~1 minute
#   REPS=5 TOKENS=40M BENCH_WORK=/other/dir bash bench/export/run.sh
#
# Work files go to $BENCH_WORK (default /work/bench-data), never into the repository; the ingest and
# build are kept in $BENCH_WORK/export-bench and reused. The table is printed and written to
# bench/export/results-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/../.."   # the repository
HERE="$PWD/bench/export"
WORK="${BENCH_WORK:-/work/bench-data}" REPS="${REPS:-3}" TOKENS="${TOKENS:-50M}"
RUN="$WORK/export-run-$(date -u +%Y%m%dT%H%M%SZ)" OUT="$WORK/export-bench/out" DATE="$(date -u +%Y-%m-%d)"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
now() { date +%s.%N; }
mkdir -p "$RUN" "$WORK/export-bench"

log "building moe-data (release)"
swift build -c release --product moe-data 2>&1 | tail -1
MOE="$(swift build -c release --show-bin-path)/moe-data"

# shellcheck disable=SC2034
MB="${BENCH_MB:-210}" SKIP_DOUBLE=1 HERE_INGEST="$PWD/bench/ingest"
# shellcheck source=bench/ingest/prepare.sh
source bench/ingest/prepare.sh
corpus_manifest "$C1" "$OUT" > "$WORK/export-bench/manifest.yaml"
cat > "$WORK/export-bench/mixture.yaml" <<MIX
name: bench-export
total_tokens: $TOKENS
seed: 7
phases:
  - {name: ul2, budget: {fraction: 0.3}, weights: {corpus: 1}, objective: {type: ul2}}
  - {name: lm, budget: rest, weights: {corpus: 1}, objective: {type: causal}}
MIX
log "ingest and build (reused when up to date)"
"$MOE" build "$WORK/export-bench/manifest.yaml" --mixture "$WORK/export-bench/mixture.yaml" --quiet

bytes_of() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s}'; }
export_once() {  # $1 kind, $2 rep: a fresh export, timed; its bytes
  rm -rf "$RUN/$1"; sync
  cut -d" " -f1 /proc/loadavg > "$RUN/$1-$2.load"
  local s e; s=$(now)
  "$MOE" export "$1" "$OUT" --to "$RUN/$1" --quiet
  e=$(now); echo "$s $e $(bytes_of "$RUN/$1")" > "$RUN/$1-$2.wall"
}
disk_once() {  # $1 kind, $2 rep: dd of as many bytes as the export wrote, synced
  local bytes; bytes=$(cut -d" " -f3 "$RUN/$1-0.wall")
  [ -f "$RUN/ref-$1" ] || head -c "$bytes" /dev/urandom > "$RUN/ref-$1"
  cat "$RUN/ref-$1" > /dev/null   # in the page cache, as the exports' inputs are
  rm -f "$RUN/copy"; sync
  local s e; s=$(now)
  dd if="$RUN/ref-$1" of="$RUN/copy" bs=1M conv=fsync status=none
  e=$(now); echo "$s $e $bytes" > "$RUN/dd-$1-$2.wall"
}

for kind in megatron olmo; do log "warm-up: $kind"; export_once "$kind" 0; done   # not counted
for rep in $(seq 1 "$REPS"); do
  for kind in megatron olmo; do
    log "rep $rep: $kind"
    if [ $((rep % 2)) = 1 ]; then export_once "$kind" "$rep"; disk_once "$kind" "$rep"
    else disk_once "$kind" "$rep"; export_once "$kind" "$rep"; fi
  done
done

python3 - "$RUN" "$REPS" "$DATE" "$TOKENS" > "$RUN/results.md" <<'PY'
import statistics, sys
run, reps, date, tokens = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def wall(name):
    s, e, b = open(f"{run}/{name}.wall").read().split()
    return float(e) - float(s), int(b)
print(f"{date}, `bash bench/export/run.sh` ({reps} reps, medians; TOKENS={tokens})\n")
print("| export | bytes written | export s | export MB/s | `dd conv=fsync` MB/s (same bytes) | export / disk |")
print("|---|---:|---:|---:|---:|---:|")
for kind in ["megatron", "olmo"]:
    ex = [wall(f"{kind}-{r}") for r in range(1, reps + 1)]
    dd = [wall(f"dd-{kind}-{r}") for r in range(1, reps + 1)]
    b = ex[0][1]
    es, ds = statistics.median(t for t, _ in ex), statistics.median(t for t, _ in dd)
    print(f"| {kind} | {b:,} | {es:.2f} | {b / es / 1e6:.0f} | {b / ds / 1e6:.0f} | {ds / es:.2f} |")
loads = [open(f"{run}/{k}-{r}.load").read().strip() for k in ["megatron", "olmo"] for r in range(1, reps + 1)]
print(f"\nLoad average at each export's start: {', '.join(loads)}.")
PY
RESULT="$HERE/results-$DATE.md"; k=2
while [ -e "$RESULT" ]; do RESULT="$HERE/results-$DATE-$k.md"; k=$((k + 1)); done
cp "$RUN/results.md" "$RESULT"
cat "$RUN/results.md"
rm -rf "$RUN/megatron" "$RUN/olmo" "$RUN/ref-megatron" "$RUN/ref-olmo" "$RUN/copy"
log "written $RESULT (run folder $RUN)"
