#!/usr/bin/env bash
# The multi-core build (issue 18.1) and exact slices (18.2): `moe-data build --jobs 1` against `--jobs 2`
# and against K = 2 slices of 1 CPU each through the local Slurm (scripts/slurm-local: `moe-data slurm
# --build-slices 2`, timed from the submission to the end of the build job that merges the slices,
# Slurm's scheduling included; the ingest is done before, as a 1-task partitioned ingest), in ONE run on the
# same rows: bench/ingest's corpus made at 300 MB of real text and code (BENCH_MB), SentencePiece
# unigram 32k, ingested once, then built with 20M source tokens (TOKENS) in two phases, UL2 then
# causal LM (OpenMoE-8B's 780/1100 split). `--jobs` does not change the build's signature, so
# packed/ is removed before each build, which then mixes, packs and writes every row again (the
# ingest is reused).
#
# Alternating, REPS times (default 3), medians reported: 1, 2, pair, slices; slices, pair, 2, 1; ...
# (pair: two `--jobs 1` builds at once, the machine's limit for two cores on this work; below). The load average
# before each build is recorded beside it (other work on the machine slows --jobs 2 first), and so
# is each build's CPU time (user + system, all threads), which the load changes much less.
# packed/ of every build is hashed: the rows must be the same for both.
#
#   bash bench/build/run.sh                    # ~2 minutes once the corpus and model exist
#   REPS=5 TOKENS=40M BENCH_MB=600 BENCH_WORK=/other/dir bash bench/build/run.sh
#
# Work files go to $BENCH_WORK/build-<MB>mb (default /work/bench-data/build-300mb), never into the
# repository; the 32k model of $BENCH_WORK/spm is reused when it exists. The table is printed and
# written to bench/build/results-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/../.."   # the repository
HERE="$PWD/bench/build"
BASE="${BENCH_WORK:-/work/bench-data}" MB="${BENCH_MB:-300}"
WORK="$BASE/build-${MB}mb" REPS="${REPS:-3}" TOKENS="${TOKENS:-20M}"
RUN="$WORK/run-$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$RUN/out" DATE="$(date -u +%Y-%m-%d)"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
now() { date +%s.%N; }
mkdir -p "$RUN"
# The model is trained on a sample of whichever corpus comes first; one model serves every size.
if [ -f "$BASE/spm/unigram32k.model" ] && [ ! -e "$WORK/spm" ]; then ln -s "$BASE/spm" "$WORK/spm"; fi

log "building moe-data (release)"
swift build -c release --product moe-data 2>&1 | tail -1
MOE="$(swift build -c release --show-bin-path)/moe-data"

# bench/ingest's corpus at MB megabytes and its 32k model (prepare.sh reads MB, SKIP_DOUBLE and
# HERE_INGEST, sets C1 and MODEL, and sources manifest.sh: corpus_manifest, bench_mixture).
# shellcheck disable=SC2034
SKIP_DOUBLE=1 HERE_INGEST="$PWD/bench/ingest"
# shellcheck source=bench/ingest/prepare.sh
source bench/ingest/prepare.sh
corpus_manifest "$C1" "$OUT" > "$RUN/manifest.yaml"
bench_mixture bench-build "$TOKENS" > "$RUN/mixture.yaml"

log "ingesting the corpus once"
"$MOE" ingest "$RUN/manifest.yaml" --quiet
cat "$OUT"/tokens/*/*.zstd > /dev/null   # in the page cache for every build

build() {  # $1 jobs, $2 rep
  rm -rf "$OUT/packed"
  cut -d" " -f1 /proc/loadavg > "$RUN/build-$1-$2.load"
  local s e; s=$(now)
  /usr/bin/time -f "%U %S" -o "$RUN/build-$1-$2.cpu" \
    "$MOE" build "$RUN/manifest.yaml" --mixture "$RUN/mixture.yaml" --jobs "$1" --quiet
  e=$(now); echo "$s $e" > "$RUN/build-$1-$2.wall"
  (cd "$OUT/packed" && sha256sum -- * | sha256sum | cut -c1-16) > "$RUN/build-$1-$2.rows"
}

# The machine's own limit for two cores on this work, in the same run: two `--jobs 1` builds of the
# same rows into two outputs at once (share-nothing: no queue, no hand-over between cores). Two
# builds' work in the pair's wall time is what two cores give this workload at best; 2 x (one
# `--jobs 1` build) / (the pair) is the most any `--jobs 2` could reach here.
P2="$RUN/out2"
corpus_manifest "$C1" "$P2" > "$RUN/pair.yaml"
"$MOE" ingest "$RUN/pair.yaml" --quiet
pair() {  # $1 rep
  rm -rf "$OUT/packed" "$P2/packed"
  cut -d" " -f1 /proc/loadavg > "$RUN/build-p-$1.load"
  local s e; s=$(now)
  "$MOE" build "$RUN/manifest.yaml" --mixture "$RUN/mixture.yaml" --jobs 1 --quiet &
  local first=$!
  "$MOE" build "$RUN/pair.yaml" --mixture "$RUN/mixture.yaml" --jobs 1 --quiet
  wait "$first"
  e=$(now); echo "$s $e" > "$RUN/build-p-$1.wall"
  for o in "$OUT" "$P2"; do (cd "$o/packed" && sha256sum -- * | sha256sum | cut -c1-16); done | sort -u \
    > "$RUN/build-p-$1.rows"
}

# K = 2 slices through the local Slurm, on a second output ingested as one task and merged (so the
# Slurm run submits only the merge job, the slice array and the build job).
SL="$RUN/slices-out"
corpus_manifest "$C1" "$SL" > "$RUN/slices.yaml"
export MOE_DATA_SLURM_DIR="$BASE/slurm-state"
log "starting the local Slurm ($MOE_DATA_SLURM_DIR)"
scripts/slurm-local start > "$RUN/slurm-start.log"
# shellcheck disable=SC1091
source "$MOE_DATA_SLURM_DIR/env"
trap 'scripts/slurm-local stop > /dev/null 2>&1 || true' EXIT
"$MOE" ingest "$RUN/slices.yaml" --task 0 --tasks 1 --quiet
"$MOE" merge "$SL" --quiet

slices() {  # $1 rep: the build as 2 slices of 1 CPU through Slurm
  rm -rf "$SL/packed" "$SL/slices"
  cut -d" " -f1 /proc/loadavg > "$RUN/build-s2-$1.load"
  local s e; s=$(now)
  "$MOE" slurm "$RUN/slices.yaml" --tasks 1 --cpus-per-task 1 --mixture "$RUN/mixture.yaml" \
    --build-slices 2 > "$RUN/build-s2-$1.submit"
  while squeue -h -o %i | grep -q .; do sleep 0.05; done
  e=$(now); echo "$s $e" > "$RUN/build-s2-$1.wall"
  [ -f "$SL/packed/index.json" ] || { echo "the sliced build did not finish; see $SL/slurm/logs" >&2; exit 1; }
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['rows'])" "$SL/packed/moe-data.json" \
    > "$RUN/build-s2-$1.rowcount"
}

for rep in $(seq 1 "$REPS"); do
  if [ $((rep % 2)) = 1 ]; then order="1 2 p s2"; else order="s2 p 2 1"; fi
  for jobs in $order; do
    if [ "$jobs" = s2 ]; then log "rep $rep: 2 slices through Slurm"; slices "$rep"; continue; fi
    if [ "$jobs" = p ]; then log "rep $rep: two --jobs 1 builds at once"; pair "$rep"; continue; fi
    log "rep $rep: build --jobs $jobs"; build "$jobs" "$rep"
  done
done
cp "$OUT/packed/index.json" "$OUT/packed/moe-data.json" "$RUN/"
sqlite3 "$OUT/catalog.sqlite" "select sum(documents), sum(tokens) from sources" > "$RUN/corpus.counts"

python3 "$HERE/report.py" "$RUN" "$REPS" "$DATE" "$C1" > "$RUN/results.md"
RESULT="$HERE/results-$DATE.md"; k=2
while [ -e "$RESULT" ]; do RESULT="$HERE/results-$DATE-$k.md"; k=$((k + 1)); done
cp "$RUN/results.md" "$RESULT"
cat "$RUN/results.md"
rm -rf "$OUT" "$SL" "$P2"
log "written $RESULT (run folder $RUN)"
