#!/usr/bin/env bash
# Export throughput (issue 16): `moe-data export megatron` and `export olmo` in MB/s of files written,
# against the disk measured in the same run on the same number of bytes, and their peak memory.
# bench/ingest's 210 MB corpus and 32k unigram model (padded vocabulary 32,384: uint16 tokens),
# ingested, then built with TOKENS source tokens (default 50M of its 53.5M): UL2 for 30%, then causal
# LM, so that the OLMo export (the causal phase) is large enough to time.
#
#   megatron   every source's documents + EOS (the whole ingest) and the causal phase's rows
#   olmo       the causal phase's token stream (rows without padding), 1 GiB files, .csv.gz metadata
#
# The disk, two ways, each `dd bs=4M conv=fsync` of a file of exactly the export's bytes (random,
# read from the page cache as the exports' shards are) to a new file, timed to the end of its fsync:
#   direct     oflag=direct: around the page cache, as the exports write their .bin and .npy files;
#              no page-cache effect (nothing is cached on the way, whatever the size)
#   cached     through the page cache, synced at the end
# Alternating, REPS times (default 3), medians reported: odd reps export, cached, direct; even reps
# direct, cached, export; each export writes a fresh folder (the previous one removed first), each
# dd a fresh file, after `sync`. Each export's CPU seconds and peak resident memory come from GNU time.
# Then the same exports of a build twice as large (TOKENS2, default 100M: the corpus read twice; it
# shares the ingest): their peak memory should be the same (it is bounded by pieces of a shard).
#
#   bash bench/export/run.sh           # ~8 minutes the first time (ingest and builds), then ~2 minutes
#   REPS=5 TOKENS=40M TOKENS2=80M BENCH_WORK=/other/dir bash bench/export/run.sh
#
# Work files go to $BENCH_WORK (default /work/bench-data), never into the repository; the ingest and
# builds are kept in $BENCH_WORK/export-bench and reused. The table is printed and written to
# bench/export/results-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/../.."   # the repository
HERE="$PWD/bench/export"
WORK="${BENCH_WORK:-/work/bench-data}" REPS="${REPS:-3}" TOKENS="${TOKENS:-50M}" TOKENS2="${TOKENS2:-100M}"
RUN="$WORK/export-run-$(date -u +%Y%m%dT%H%M%SZ)" DATE="$(date -u +%Y-%m-%d)"
OUT="$WORK/export-bench/out" OUT2="$WORK/export-bench/out-x2"
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
cat > "$WORK/export-bench/mixture-x2.yaml" <<MIX
name: bench-export
total_tokens: $TOKENS2
seed: 7
sources: {corpus: {max_epochs: 2}}
phases:
  - {name: ul2, budget: {fraction: 0.3}, weights: {corpus: 1}, objective: {type: ul2}}
  - {name: lm, budget: rest, weights: {corpus: 1}, objective: {type: causal}}
MIX
log "ingest and build (reused when up to date)"
"$MOE" build "$WORK/export-bench/manifest.yaml" --mixture "$WORK/export-bench/mixture.yaml" --quiet
log "build twice as large (the same ingest, reused when up to date)"
if [ ! -f "$OUT2/catalog.sqlite" ]; then mkdir -p "$OUT2"; cp -r "$OUT/tokens" "$OUT/catalog.sqlite" "$OUT2/"; fi
"$MOE" build "$WORK/export-bench/manifest.yaml" --mixture "$WORK/export-bench/mixture-x2.yaml" \
  --output "$OUT2" --quiet
uptime > "$RUN/uptime-start"

bytes_of() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s}'; }
export_once() {  # $1 kind, $2 rep, $3 output (default the build): a fresh export, timed; its bytes
  local to="$RUN/export-$1-$2"
  rm -rf "$RUN/export-$1"-*; sync
  cut -d" " -f1 /proc/loadavg > "$RUN/$1-$2.load"
  local s e; s=$(now)
  /usr/bin/time -f "%U %S %M" -o "$RUN/$1-$2.time" "$MOE" export "$1" "${3:-$OUT}" --to "$to" --quiet
  e=$(now); echo "$s $e $(bytes_of "$to")" > "$RUN/$1-$2.wall"
}
disk_once() {  # $1 kind, $2 rep, $3 direct|cached: dd of as many bytes as the export wrote, synced
  local bytes flag=""; bytes=$(cut -d" " -f3 "$RUN/$1-0.wall")
  [ -f "$RUN/ref-$1" ] || head -c "$bytes" /dev/urandom > "$RUN/ref-$1"
  cat "$RUN/ref-$1" > /dev/null   # in the page cache, as the exports' inputs are
  [ "$3" = direct ] && flag="oflag=direct"
  rm -f "$RUN/copy"; sync
  local s e; s=$(now)
  dd if="$RUN/ref-$1" of="$RUN/copy" bs=4M conv=fsync $flag status=none
  e=$(now); echo "$s $e $bytes" > "$RUN/dd-$3-$1-$2.wall"
}

# The shard files each export reads: every source's token shards (megatron), and the packed shards
# from the one that holds the first causal row (both); `zstd -d` of them on one core is the CPU floor.
python3 - "$OUT" "$RUN" <<'PY'
import glob, json, os, sqlite3, sys
out, run = sys.argv[1], sys.argv[2]
stats = sqlite3.connect(f"{out}/catalog.sqlite").execute("select value from kv where key='stats.mixture'")
phases = json.loads(next(stats)[0])["phases"]
before = sum(p["rows"] for p in phases if p["index"] < min(q["index"] for q in phases if q["objective"] == "causal"))
packed, row = [], 0
for shard in json.load(open(f"{out}/packed/index.json"))["shards"]:
    if row + shard["samples"] > before: packed.append((f"{out}/packed/{shard['zip_data']['basename']}", shard))
    row += shard["samples"]
tokens = []
for index in sorted(glob.glob(f"{out}/tokens/*/index.json")):
    for shard in json.load(open(index))["shards"]:
        tokens.append((os.path.join(os.path.dirname(index), shard["zip_data"]["basename"]), shard))
for kind, files in [("megatron", tokens + packed), ("olmo", packed)]:
    open(f"{run}/shards-{kind}", "w").write("".join(f + "\n" for f, _ in files))
    open(f"{run}/raw-{kind}", "w").write(str(sum(shard["raw_data"]["bytes"] for _, shard in files)))
PY
zstd_once() {  # $1 kind, $2 rep: zstd -d of the shards the export reads, one core, to /dev/null
  local s e; s=$(now)
  xargs -a "$RUN/shards-$1" zstd -q -d -c > /dev/null
  e=$(now); echo "$s $e $(cat "$RUN/raw-$1")" > "$RUN/zstd-$1-$2.wall"
}

for kind in megatron olmo; do log "warm-up: $kind"; export_once "$kind" 0; done   # not counted
for rep in $(seq 1 "$REPS"); do
  for kind in megatron olmo; do
    log "rep $rep: $kind"
    if [ $((rep % 2)) = 1 ]; then
      export_once "$kind" "$rep"; disk_once "$kind" "$rep" cached; disk_once "$kind" "$rep" direct
    else
      disk_once "$kind" "$rep" direct; disk_once "$kind" "$rep" cached; export_once "$kind" "$rep"
    fi
    zstd_once "$kind" "$rep"
  done
done
for kind in megatron olmo; do log "twice as large: $kind"; export_once "$kind" x2 "$OUT2"; done
uptime > "$RUN/uptime-end"

python3 - "$RUN" "$REPS" "$DATE" "$TOKENS" > "$RUN/results.md" <<'PY'
import statistics, sys
run, reps, date, tokens = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def wall(name):
    s, e, b = open(f"{run}/{name}.wall").read().split()
    return float(e) - float(s), int(b)
def usage(name):  # CPU seconds (user + system) and peak resident MiB
    user, system, kb = open(f"{run}/{name}.time").read().split()[-3:]
    return float(user) + float(system), int(kb) / 1024
med = statistics.median
print(f"{date}, `bash bench/export/run.sh` ({reps} reps, medians; TOKENS={tokens})\n")
print("| export | bytes written | export s | export MB/s | CPU s | peak RSS MiB "
      "| `dd oflag=direct` MB/s | export / direct | `dd` cached MB/s | export / cached |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for kind in ["megatron", "olmo"]:
    ex = [wall(f"{kind}-{r}") for r in range(1, reps + 1)]
    cpu = [usage(f"{kind}-{r}") for r in range(1, reps + 1)]
    direct = med(wall(f"dd-direct-{kind}-{r}")[0] for r in range(1, reps + 1))
    cached = med(wall(f"dd-cached-{kind}-{r}")[0] for r in range(1, reps + 1))
    b, es = ex[0][1], med(t for t, _ in ex)
    print(f"| {kind} | {b:,} | {es:.2f} | {b / es / 1e6:.0f} | {med(c for c, _ in cpu):.2f} "
          f"| {max(m for _, m in cpu):.0f} | {b / direct / 1e6:.0f} | {direct / es:.2f} "
          f"| {b / cached / 1e6:.0f} | {cached / es:.2f} |")
print("\nThe CPU floor, `zstd -d` on one core of the shards each export reads (to /dev/null):\n")
print("| export | raw MB decompressed | per MB written | `zstd -d` s | MB/s of raw | that on 2 cores, s |")
print("|---|---:|---:|---:|---:|---:|")
for kind in ["megatron", "olmo"]:
    t = med(wall(f"zstd-{kind}-{r}")[0] for r in range(1, reps + 1))
    raw, b = wall(f"zstd-{kind}-1")[1], wall(f"{kind}-1")[1]
    print(f"| {kind} | {raw / 1e6:.0f} | {raw / b:.1f} | {t:.2f} | {raw / t / 1e6:.0f} | {t / 2:.2f} |")
print("\nEvery rep (s): " + "; ".join(
    f"{kind} " + ", ".join(f"{wall(f'{kind}-{r}')[0]:.2f}" for r in range(1, reps + 1))
    + f" (dd direct " + ", ".join(f"{wall(f'dd-direct-{kind}-{r}')[0]:.2f}" for r in range(1, reps + 1))
    + "; cached " + ", ".join(f"{wall(f'dd-cached-{kind}-{r}')[0]:.2f}" for r in range(1, reps + 1)) + ")"
    for kind in ["megatron", "olmo"]) + ".")
print("\nA build twice as large (TOKENS2, one export each):\n")
print("| export | bytes written | export s | export MB/s | peak RSS MiB | peak RSS MiB at 1 x |")
print("|---|---:|---:|---:|---:|---:|")
for kind in ["megatron", "olmo"]:
    (t, b), (_, m) = wall(f"{kind}-x2"), usage(f"{kind}-x2")
    one = max(usage(f"{kind}-{r}")[1] for r in range(1, reps + 1))
    print(f"| {kind} | {b:,} | {t:.2f} | {b / t / 1e6:.0f} | {m:.0f} | {one:.0f} |")
loads = [open(f"{run}/{k}-{r}.load").read().strip() for k in ["megatron", "olmo"] for r in range(1, reps + 1)]
print(f"\nLoad average at each export's start: {', '.join(loads)}.")
for when in ["start", "end"]:
    print(f"`uptime` at the {when}: {open(f'{run}/uptime-{when}').read().strip()}")
PY
RESULT="$HERE/results-$DATE.md"; k=2
while [ -e "$RESULT" ]; do RESULT="$HERE/results-$DATE-$k.md"; k=$((k + 1)); done
cp "$RUN/results.md" "$RESULT"
cat "$RUN/results.md"
rm -rf "$RUN"/export-* "$RUN/ref-megatron" "$RUN/ref-olmo" "$RUN/copy"
log "written $RESULT (run folder $RUN)"
