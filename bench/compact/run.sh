#!/usr/bin/env bash
# The compact packed layout (issue 18.3) against today's explicit one, in ONE run on the same rows:
# bench/ingest's 210 MB of real text and code (SentencePiece unigram 32k), ingested once, then built
# with 20M source tokens (TOKENS) in two phases, UL2 then causal LM (OpenMoE-8B's 780/1100 split),
# with `packed_format: explicit` and `packed_format: compact` into the same output folder.
#
#   sizes   raw and zstd bytes of packed/ (index.json's raw_data and zip_data), per source token
#           and per row cell; the same rows either way (the tests prove it row by row)
#   build   `moe-data build` wall time of each layout (the ingest is reused; changing packed_format
#           changes the build signature, so every build below packs and writes all rows again)
#   read    `moe-data bench rows`: the trainer's data path alone, one thread: a fresh dataset and a
#           shuffled row stream, READ_ROWS rows read (default 50,000, about 3.6 epochs; shards
#           decompressed and hashed, compact rows expanded), then a one-row TokenBatch per row
#
# Alternating, REPS times (default 3), medians reported: builds explicit, compact, explicit, ...;
# reads explicit, compact; compact, explicit; ...
#
#   bash bench/compact/run.sh                  # ~2 minutes once the corpus and model exist
#   REPS=5 TOKENS=40M BENCH_WORK=/other/dir bash bench/compact/run.sh
#
# Work files go to $BENCH_WORK (default /work/bench-data), never into the repository. The table is
# printed and written to bench/compact/results-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/../.."   # the repository
HERE="$PWD/bench/compact"
WORK="${BENCH_WORK:-/work/bench-data}" REPS="${REPS:-3}" TOKENS="${TOKENS:-20M}" READ_ROWS="${READ_ROWS:-50000}"
RUN="$WORK/compact-run-$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$RUN/out" DATE="$(date -u +%Y-%m-%d)"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
now() { date +%s.%N; }
mkdir -p "$RUN"

log "building moe-data (release)"
swift build -c release --product moe-data 2>&1 | tail -1
MOE="$(swift build -c release --show-bin-path)/moe-data"

# bench/ingest's corpus and 32k model, made once and cached in $WORK (the prepare script reads
# MB, SKIP_DOUBLE and HERE_INGEST, and sets C1 and MODEL).
# shellcheck disable=SC2034
MB="${BENCH_MB:-210}" SKIP_DOUBLE=1 HERE_INGEST="$PWD/bench/ingest"
# shellcheck source=bench/ingest/prepare.sh
source bench/ingest/prepare.sh

for layout in explicit compact; do
  corpus_manifest "$C1" "$OUT" "" "packed_format: $layout" > "$RUN/$layout.yaml"
done
cat > "$RUN/mixture.yaml" <<EOF
name: bench-compact
total_tokens: $TOKENS
seed: 7
phases:
  - {name: ul2, budget: {fraction: 0.709}, weights: {corpus: 1}, objective: {type: ul2}}
  - {name: lm, budget: rest, weights: {corpus: 1}, objective: {type: causal}}
EOF

log "ingesting the corpus once"
"$MOE" ingest "$RUN/explicit.yaml" --quiet

build() {  # $1 layout, $2 rep: builds, times, and keeps the first rep's rows in $RUN/<layout>
  cut -d" " -f1 /proc/loadavg > "$RUN/build-$1-$2.load"
  local s e; s=$(now)
  "$MOE" build "$RUN/$1.yaml" --mixture "$RUN/mixture.yaml" --quiet
  e=$(now); echo "$s $e" > "$RUN/build-$1-$2.wall"
  if [ "$2" = 1 ]; then cp -a "$OUT/packed" "$RUN/$1"; fi
}

read_rows() {  # $1 layout, $2 rep
  "$MOE" bench rows --data "$RUN/$1" --rows "$READ_ROWS" --runs 1 > "$RUN/read-$1-$2.txt"
}

# Builds alternate strictly (explicit, compact, explicit, ...): each one follows a build of the other
# layout, so it is never "up to date" and writes every row.
for rep in $(seq 1 "$REPS"); do
  for layout in explicit compact; do log "rep $rep: build $layout"; build "$layout" "$rep"; done
done
for rep in $(seq 1 "$REPS"); do
  if [ $((rep % 2)) = 1 ]; then order="explicit compact"; else order="compact explicit"; fi
  for layout in $order; do log "rep $rep: read $layout"; read_rows "$layout" "$rep"; done
done

python3 "$HERE/report.py" "$RUN" "$REPS" "$DATE" "$TOKENS" > "$RUN/results.md"
RESULT="$HERE/results-$DATE.md"; k=2
while [ -e "$RESULT" ]; do RESULT="$HERE/results-$DATE-$k.md"; k=$((k + 1)); done
cp "$RUN/results.md" "$RESULT"
cat "$RUN/results.md"
rm -rf "$OUT" "$RUN/explicit" "$RUN/compact"
log "written $RESULT (run folder $RUN)"
