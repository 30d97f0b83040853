#!/usr/bin/env bash
# The ingest pipeline benchmark of issue 15, in ONE run on the same corpus, alternating, REPS times
# (default 3; medians): `moe-data ingest --jobs 1`, `--jobs 2`, the Python peer (pip sentencepiece
# + zstandard, 2 processes, bench/ingest/python_peer.py) and `spm_encode` in 1 process (the
# per-core encoder figure), in the order 1, 2, peer, spm; spm, peer, 2, 1; ... Then `--jobs 2` on
# the doubled corpus, for peak RSS as the corpus grows.
#
# The corpus is bench/ingest/make_corpus.py's real text and code at BENCH_MB (default 300) MB,
# with documents up to 8 MiB kept (--max-doc-kb 8192: changelogs, big headers, a Unicode table;
# moe-data cuts them at line breaks into 1 MiB pieces that both cores encode). The 32k unigram
# model of bench/ingest is reused (made by bench/ingest/run.sh when missing).
#
#   bash bench/ingest/pipeline.sh            # ~6 minutes once the corpora exist
#   REPS=5 BENCH_MB=400 bash bench/ingest/pipeline.sh
#
# Work files go to $BENCH_WORK (default /work/bench-data), never into the repository. The table is
# printed and written to bench/ingest/results-pipeline-<date>.md.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${BENCH_WORK:-/work/bench-data}" MB="${BENCH_MB:-300}" REPS="${REPS:-3}"
DATE="$(date -u +%Y-%m-%d)"
RUN="$WORK/pipeline-$(date -u +%Y%m%dT%H%M%SZ)"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
mkdir -p "$RUN"
MODEL="$WORK/spm/unigram32k.model"
[ -f "$MODEL" ] || { echo "no $MODEL: run bash bench/ingest/run.sh once (it trains the model)" >&2; exit 1; }
# shellcheck source=bench/ingest/manifest.sh
source "$HERE/manifest.sh"

log "building moe-data (release)"
(cd "$REPO" && swift build -c release --product moe-data 2>&1 | tail -1)
MOE="$(cd "$REPO" && swift build -c release --show-bin-path)/moe-data"

for scale in 1 2; do
  C="$WORK/corpus-big-${MB}mb-x$scale"
  if [ ! -f "$C/corpus.json" ]; then
    log "making corpus x$scale ($MB MB, documents up to 8 MiB)"
    python3 "$HERE/make_corpus.py" --work "$WORK" --out "$C" --mb "$MB" --scale "$scale" --max-doc-kb 8192 \
      > "$RUN/make-x$scale.log"
  fi
done
C1="$WORK/corpus-big-${MB}mb-x1" C2="$WORK/corpus-big-${MB}mb-x2"
cat "$C1"/txt/* > "$RUN/all.txt"
cat "$RUN/all.txt" "$C1"/jsonl/* "$C2"/jsonl/* > /dev/null   # in the page cache for every tool

timed() { local name="$1"; shift; cut -d" " -f1 /proc/loadavg > "$RUN/$name.load"; /usr/bin/time -v -o "$RUN/$name.time" "$@"; }
moe() {  # $1 jobs, $2 rep
  rm -rf "$RUN/moe-out"
  corpus_manifest "$C1" "$RUN/moe-out" > "$RUN/moe.yaml"
  timed "moe$1-$2" "$MOE" ingest "$RUN/moe.yaml" --jobs "$1" --quiet
  (cd "$RUN/moe-out/tokens" && sha256sum -- */* | sha256sum | cut -c1-16) > "$RUN/moe$1-$2.shards"
  sqlite3 "$RUN/moe-out/catalog.sqlite" "select sum(documents), sum(tokens), sum(skipped) from sources" \
    > "$RUN/moe$1-$2.counts"
}
peer() {
  rm -rf "$RUN/peer-out"
  timed "peer-$1" python3 "$HERE/python_peer.py" --corpus "$C1" --model "$MODEL" --out "$RUN/peer-out" \
    > "$RUN/peer-$1.json"
}
spm() {
  timed "spm-$1" spm_encode --model="$MODEL" --output_format=id --input="$RUN/all.txt" --output="$RUN/spm.ids"
  wc -w < "$RUN/spm.ids" > "$RUN/spm-$1.tokens"; rm -f "$RUN/spm.ids"
}

for rep in $(seq 1 "$REPS"); do
  if [ $((rep % 2)) = 1 ]; then order="moe1 moe2 peer spm"; else order="spm peer moe2 moe1"; fi
  for what in $order; do
    log "rep $rep: $what"
    case $what in
      moe1) moe 1 "$rep" ;; moe2) moe 2 "$rep" ;; peer) peer "$rep" ;; spm) spm "$rep" ;;
    esac
  done
done
log "moe-data ingest --jobs 2 on the doubled corpus"
rm -rf "$RUN/moe-out"
corpus_manifest "$C2" "$RUN/moe-out" > "$RUN/moe2x.yaml"
timed moe2x "$MOE" ingest "$RUN/moe2x.yaml" --jobs 2 --quiet
rm -rf "$RUN/moe-out" "$RUN/peer-out" "$RUN/all.txt"

python3 "$HERE/pipeline_report.py" "$RUN" "$REPS" "$DATE" "$C1" "$C2" > "$RUN/results.md"
OUT="$HERE/results-pipeline-$DATE.md"; k=2
while [ -e "$OUT" ]; do OUT="$HERE/results-pipeline-$DATE-$k.md"; k=$((k + 1)); done
cp "$RUN/results.md" "$OUT"
cat "$RUN/results.md"
log "written $OUT (run folder $RUN)"
