#!/usr/bin/env bash
# Issue 8: the native unigram encoder against libsentencepiece, all in one run on the same corpus.
#
#   bash bench/native/run.sh                  # throughput, identity on the full corpus, ingest end to end
#   SKIP_VERIFY=1 bash bench/native/run.sh    # leave out the full-corpus identity check
#   SKIP_INGEST=1 bash bench/native/run.sh    # leave out ingest and the Python peer
#
# Inputs (never committed; see bench/ingest on the bench branch for how they are made):
#   $BENCH_WORK/corpus-x1/{jsonl,txt}   210 MB of real text and code (JSONL.zst shards + the same text as .txt)
#   $BENCH_WORK/spm/unigram32k.model     unigram 32k, spm_train defaults (nmt_nfkc), no byte fallback
#   $PEER                                the Python peer (pip sentencepiece + zstandard, 2 processes)
# Work files go to $BENCH_WORK/native-<time>/; the result table goes to stdout.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${BENCH_WORK:-/work/bench-data}"
C1="$WORK/corpus-x1"
# shellcheck source=bench/ingest/manifest.sh source-path=SCRIPTDIR/../..
source "$(dirname "$0")/../ingest/manifest.sh"
MODEL="${MODEL:-$WORK/spm/unigram32k.model}"
PEER="${PEER:-$REPO/bench/ingest/python_peer.py}"
RUN="$WORK/native-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

(cd "$REPO" && swift build -c release --product moe-data 2>&1 | tail -1) >&2
MOE="$(cd "$REPO" && swift build -c release --show-bin-path)/moe-data"

cat "$C1"/txt/part-*.txt > "$RUN/all.txt"
cat "$C1"/jsonl/* > /dev/null
echo "corpus: $(stat -c %s "$RUN/all.txt") bytes of text ($(wc -l < "$RUN/all.txt") lines), model $MODEL"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. Encoder throughput: the same lines in memory, encoded by each engine (best of 2 runs).
#    `tokenizer bench` excludes reading and output, so this is the encoder alone.
for engine in library native; do
  for jobs in 1 2; do
    log "tokenizer bench --tokenizer-engine $engine --jobs $jobs"
    echo "$engine jobs=$jobs: $("$MOE" tokenizer bench -m "$MODEL" --sentinels 0 --input "$RUN/all.txt" \
        --jobs "$jobs" --runs 2 --tokenizer-engine "$engine")"
  done
done

# 2. Identity on every document of the corpus, for the benchmark model (and any in $EXTRA_MODELS).
if [ "${SKIP_VERIFY:-0}" != 1 ]; then
  for m in "$MODEL" ${EXTRA_MODELS:-}; do
    corpus_manifest "$C1" "$RUN/verify-out" "$m" > "$RUN/verify.yaml"
    log "tokenizer verify (every document) with $m"
    echo "verify $(basename "$m"): $("$MOE" tokenizer verify "$RUN/verify.yaml" --every 1 --max-mb 100000 --jobs 2 --quiet | tail -1)"
  done
fi

# 3. Ingest end to end, native vs library engine, and the Python peer; /usr/bin/time -v for wall and peak RSS.
if [ "${SKIP_INGEST:-0}" != 1 ]; then
  timed() {
    local name="$1"; shift
    /usr/bin/time -v -o "$RUN/$name.time" "$@" > "$RUN/$name.out"
    local wall rss cpu
    wall=$(awk -F': ' '/Elapsed/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$RUN/$name.time")
    rss=$(awk -F': ' '/Maximum resident/ {print int($2/1024)}' "$RUN/$name.time")
    cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$RUN/$name.time")
    echo "$name: wall ${wall}s, MB/s $(echo "$(stat -c %s "$RUN/all.txt") / $wall / 1000000" | bc -l | cut -c1-5), CPU ${cpu}s, peak RSS ${rss} MB (load before $(cut -d' ' -f1 /proc/loadavg))"
  }
  if [ -f "$PEER" ]; then
    log "python peer"
    timed peer python3 "$PEER" --corpus "$C1" --model "$MODEL" --out "$RUN/peer-out"
    rm -rf "$RUN/peer-out"
  fi
  for engine in native library; do
    corpus_manifest "$C1" "$RUN/ingest-$engine" > "$RUN/ingest-$engine.yaml"
    log "moe-data ingest --jobs 2 --tokenizer-engine $engine"
    timed "ingest-$engine" "$MOE" ingest "$RUN/ingest-$engine.yaml" --jobs 2 --quiet --tokenizer-engine "$engine"
  done
  # Same tokens whichever engine: the token shards must be byte-identical.
  if diff -r "$RUN/ingest-native/tokens" "$RUN/ingest-library/tokens" > /dev/null; then
    echo "ingest token shards: byte-identical between engines"
  else
    echo "ingest token shards: DIFFER between engines"
  fi
  rm -rf "$RUN/ingest-native" "$RUN/ingest-library"
fi
rm -f "$RUN/all.txt"
