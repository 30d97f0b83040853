#!/usr/bin/env bash
# The Parquet benchmark of issue 14, in ONE run on one Stack-shaped file of real source files:
#  1. the reader alone: `moe-data bench parquet` (text column decoded, copied, checked as UTF-8)
#     against pyarrow's `pq.ParquetFile(f).iter_batches(columns=['content'], use_threads=False)`;
#  2. `moe-data ingest` of the Parquet file against the same text as .jsonl.zst.
# Each pair alternates, $BENCH_ROUNDS times (3); medians of wall time and of CPU time (user + system:
# what the work costs, less swayed by other loads than wall time), and the largest peak RSS, all from
# /usr/bin/time -v.
#
#   bash bench/parquet/run.sh                 # the file is cached in $BENCH_WORK/parquet
#   BENCH_MB=50 bash bench/parquet/run.sh     # a smaller file
#   BENCH_ROUNDS=5 bash bench/parquet/run.sh  # more rounds on a busy machine
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${BENCH_WORK:-/work/bench-data}"
ROUNDS="${BENCH_ROUNDS:-3}"
DATA="$WORK/parquet"                                   # the file and its JSONL twin, kept between runs
RUN="$WORK/parquet-run-$(date -u +%Y%m%dT%H%M%SZ)"   # this run's logs, times and outputs
mkdir -p "$DATA" "$RUN"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
python3 -c "import pyarrow, zstandard" || { echo "pip install pyarrow zstandard" >&2; exit 1; }

log "building moe-data (release)"
(cd "$REPO" && swift build -c release --product moe-data 2>&1 | tail -1)
MOE="$(cd "$REPO" && swift build -c release --show-bin-path)/moe-data"

if [ ! -f "$DATA/stack.parquet" ]; then
  log "making the Stack-shaped file (${BENCH_MB:-200} MB of real source files)"
  python3 "$HERE/make_stack.py" --out "$DATA" --mb "${BENCH_MB:-200}" > "$DATA/make.log"
fi
cat "$DATA/make.log"

# The tokenizer: bench/ingest's 32k unigram model when it was made, else one trained here.
MODEL="$WORK/spm/unigram32k.model"
if [ ! -f "$MODEL" ]; then
  MODEL="$DATA/unigram32k.model"
  [ -f "$MODEL" ] || "$MOE" tokenizer train -o "$MODEL" --input "$DATA/stack.jsonl.zst" --field content \
    --vocab-size 32000 --sample-bytes 20M >/dev/null
fi

timed() { local name="$1"; shift; /usr/bin/time -v -o "$RUN/$name.time" "$@" > "$RUN/$name.out" 2>&1; }
seconds() {  # "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:01.23" in seconds
  awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"
}
cpu_seconds() { awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f\n", s }' "$1"; }
rss_mb() { awk -F': ' '/Maximum resident set size/ { printf "%.0f\n", $2 / 1024 }' "$1"; }

# The read alone is timed inside the process too (wall time includes Python's start and imports).
cat > "$RUN/pyarrow_read.py" <<'PY'
import sys, time
import pyarrow.parquet as pq
start, n, size = time.perf_counter(), 0, 0
for batch in pq.ParquetFile(sys.argv[1]).iter_batches(columns=["content"], use_threads=False):
    n += batch.num_rows
    size += batch.column(0).nbytes
print(f"pyarrow: {n} rows, {size / 1e6:.1f} MB of arrays in {time.perf_counter() - start:.3f} s")
PY

for kind in parquet jsonl; do
  mkdir -p "$RUN/$kind"
  paths="$DATA/stack.$kind"
  [ $kind = jsonl ] && paths="$DATA/stack.jsonl.zst"
  cat > "$RUN/$kind/manifest.yaml" <<YAML
name: bench-$kind
output: out
on_error: skip
tokenizer:
  model: $MODEL
sources:
  - {name: stack, format: $kind, paths: ["$paths"], domain: code, text_field: content,
     keep: [lang, max_stars_repo_path]}
YAML
done

for i in $(seq "$ROUNDS"); do
  log "round $i: reader alone"
  timed "reader-moe-$i" "$MOE" bench parquet "$DATA/stack.parquet" --text-field content --runs 1
  timed "reader-pyarrow-$i" python3 "$RUN/pyarrow_read.py" "$DATA/stack.parquet"
  log "round $i: ingest"
  for kind in parquet jsonl; do
    rm -rf "$RUN/$kind/out"
    timed "ingest-$kind-$i" "$MOE" ingest "$RUN/$kind/manifest.yaml" --quiet
  done
done

median() { sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p"; }
each() { local f="$1" name="$2" i; for i in $(seq "$ROUNDS"); do "$f" "$RUN/$name-$i.time"; done; }
row() {
  local label="$1" name="$2"
  echo "| $label | $(each seconds "$name" | median) | $(each seconds "$name" | tr '\n' ' ')|" \
    "$(each cpu_seconds "$name" | median) | $(each rss_mb "$name" | sort -n | tail -1) |"
}
{
  echo "| what | median s | runs s | median CPU s | peak RSS MB |"
  echo "| --- | --- | --- | --- | --- |"
  row "moe-data bench parquet (text column)" reader-moe
  row "pyarrow iter_batches(columns=['content'], use_threads=False)" reader-pyarrow
  row "moe-data ingest, Parquet source" ingest-parquet
  row "moe-data ingest, same text as .jsonl.zst" ingest-jsonl
} | tee "$RUN/results.md"
echo "in-process read times:"
grep -h "run 1:" "$RUN"/reader-moe-*.out
grep -h "^pyarrow:" "$RUN"/reader-pyarrow-*.out
log "results in $RUN/results.md"
