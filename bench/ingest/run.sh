#!/usr/bin/env bash
# The ingest benchmark of issue 2: moe-data ingest against spm_encode (1 and 2 processes) and a
# Python peer (pip sentencepiece + zstandard, 2 processes), all in ONE run on the same corpus,
# then moe-data ingest again on the doubled corpus for peak RSS.
#
#   bash bench/ingest/run.sh                 # everything (corpus and model are cached)
#   BENCH_WORK=/other/dir bash bench/ingest/run.sh
#   EXTRA_JOBS1=1 bash bench/ingest/run.sh   # also moe-data ingest --jobs 1 (where the time goes)
#
# Work files (corpora, model, outputs, logs) go to $BENCH_WORK (default /work/bench-data),
# never into the repository. The Markdown table is printed and written to
# bench/ingest/results-<date>.md.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${BENCH_WORK:-/work/bench-data}"
# shellcheck disable=SC2034  # read by prepare.sh
MB="${BENCH_MB:-210}"            # text megabytes at scale 1 (the requirement: at least 200 MB)
SKIP_DOUBLE="${SKIP_DOUBLE:-0}"
EXTRA_JOBS1="${EXTRA_JOBS1:-0}"
DATE="$(date -u +%Y-%m-%d)"
RUN="$WORK/run-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$WORK" "$RUN"

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
for t in spm_encode spm_train zstd python3; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done
python3 -c "import sentencepiece, zstandard, numpy" || { echo "pip install sentencepiece zstandard numpy" >&2; exit 1; }

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# 1. Build moe-data in release.
log "building moe-data (release)"
(cd "$REPO" && swift build -c release --product moe-data 2>&1 | tail -1)
MOE="$(cd "$REPO" && swift build -c release --show-bin-path)/moe-data"

# 2-3. Corpora and the SentencePiece model (cached: delete them to rebuild).
HERE_INGEST="$HERE"
# shellcheck source=prepare.sh
source "$HERE/prepare.sh"

# 4. The measurements. Each is timed with /usr/bin/time -v (wall, peak RSS).
# The 1-minute load average before each run is kept too: the machine is shared with other builders.
timed() { local name="$1"; shift; cut -d" " -f1 /proc/loadavg > "$RUN/$name.load"; /usr/bin/time -v -o "$RUN/$name.time" "$@"; }
readarray -t HALF0 < <(python3 -c "import json,sys; print('\n'.join(json.load(open('$C1/halves.json'))['halves'][0]))")
readarray -t HALF1 < <(python3 -c "import json,sys; print('\n'.join(json.load(open('$C1/halves.json'))['halves'][1]))")
# The plain text of each half, concatenated once before timing (spm_encode reads one stream).
for h in 0 1; do
  eval "parts=(\"\${HALF$h[@]}\")"
  : > "$RUN/half$h.txt"
  for p in "${parts[@]}"; do cat "$C1/txt/$p.txt" >> "$RUN/half$h.txt"; done
done
cat "$RUN/half0.txt" "$RUN/half1.txt" > "$RUN/all.txt"
# Warm the page cache for every input so no tool pays for the first read.
cat "$RUN"/*.txt "$C1"/jsonl/* > /dev/null

log "spm_encode, 1 process"
timed spm1 spm_encode --model="$MODEL" --output_format=id --input="$RUN/all.txt" --output="$RUN/spm1.ids"
wc -w < "$RUN/spm1.ids" > "$RUN/spm1.tokens"; rm -f "$RUN/spm1.ids"

log "spm_encode, 2 processes"
s=$(date +%s.%N)
timed spm2a spm_encode --model="$MODEL" --output_format=id --input="$RUN/half0.txt" --output="$RUN/spm2a.ids" &
timed spm2b spm_encode --model="$MODEL" --output_format=id --input="$RUN/half1.txt" --output="$RUN/spm2b.ids" &
wait
e=$(date +%s.%N)
echo "$s $e" > "$RUN/spm2.wall"
cat "$RUN/spm2a.ids" "$RUN/spm2b.ids" | wc -w > "$RUN/spm2.tokens"; rm -f "$RUN"/spm2?.ids

log "python peer (pip sentencepiece + zstandard), 2 processes"
rm -rf "$RUN/peer-out"
timed peer python3 "$HERE/python_peer.py" --corpus "$C1" --model "$MODEL" --out "$RUN/peer-out" > "$RUN/peer.json"
du -sb "$RUN/peer-out" | cut -f1 > "$RUN/peer.outbytes"; rm -rf "$RUN/peer-out"

corpus_manifest "$C1" "$RUN/moe-out" > "$RUN/moe.yaml"
log "moe-data ingest --jobs 2"
rm -rf "$RUN/moe-out"
timed moe "$MOE" ingest "$RUN/moe.yaml" --jobs 2 --quiet
"$MOE" stats "$RUN/moe-out" > "$RUN/moe.stats" 2>&1 || true
python3 - "$RUN/moe-out" > "$RUN/moe.tokens" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/catalog.sqlite")
print(db.execute("select sum(tokens) from shards").fetchone()[0])
EOF
du -sb "$RUN/moe-out/tokens" | cut -f1 > "$RUN/moe.outbytes"; rm -rf "$RUN/moe-out"

if [ "$EXTRA_JOBS1" = 1 ]; then
  log "moe-data ingest --jobs 1"
  corpus_manifest "$C1" "$RUN/moe1-out" > "$RUN/moe1.yaml"
  timed moe1 "$MOE" ingest "$RUN/moe1.yaml" --jobs 1 --quiet
  rm -rf "$RUN/moe1-out"
fi

if [ "$SKIP_DOUBLE" != 1 ]; then
  log "moe-data ingest --jobs 2 on the doubled corpus"
  cat "$WORK/corpus-x2"/jsonl/* > /dev/null
  corpus_manifest "$WORK/corpus-x2" "$RUN/moe2x-out" > "$RUN/moe2x.yaml"
  timed moe2x "$MOE" ingest "$RUN/moe2x.yaml" --jobs 2 --quiet
  rm -rf "$RUN/moe2x-out"
fi
rm -f "$RUN"/*.txt

# 5. The table.
python3 "$HERE/report.py" --run "$RUN" --work "$WORK" --date "$DATE" > "$RUN/results.md"
OUT="$HERE/results-$DATE.md"; k=2
while [ -e "$OUT" ]; do OUT="$HERE/results-$DATE-$k.md"; k=$((k + 1)); done   # keep earlier runs of the day
cp "$RUN/results.md" "$OUT"
cat "$RUN/results.md"
log "written $OUT (run folder $RUN)"
