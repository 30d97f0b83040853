#!/usr/bin/env bash
# The tokenizer.json benchmarks of issue 23, all in ONE run, alternating the contenders round by round
# (median of ROUNDS, default 3), because the machine is shared:
#   1. ids: moe-data's native encoder and Python's tokenizers on every line of lines.txt (must be identical);
#   2. encoder per core: `moe-data tokenizer bench --jobs 1` vs tokenizers' encode_batch (and
#      encode_batch_fast) with RAYON_NUM_THREADS=1, the same lines in memory, both pinned to core 0;
#   3. ingest on 2 cores: `moe-data ingest --jobs 2` vs a Python peer with tokenizers on 2 threads
#      (tokenizers_peer.py) vs datatrove's DocumentTokenizer on 2 workers (datatrove_peer.py, in a venv).
#
#   bash bench/tokenizer-json/run.sh              # SKIP_DATATROVE=1 leaves datatrove out
#
# Work files go to $BENCH_WORK (default /work/bench-data): the ingest corpus of bench/ingest
# (corpus-x1, made by its make_corpus.py when missing), hf/ (sample, lines, trained tokenizer.json
# files), venv-datatrove/, and a run folder; never into the repository. The table is printed and
# written to bench/tokenizer-json/results-<date>.md.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${BENCH_WORK:-/work/bench-data}"
HF="$WORK/hf"
C1="$WORK/corpus-x1"
ROUNDS="${ROUNDS:-3}"
SKIP_DATATROVE="${SKIP_DATATROVE:-0}"
DATE="$(date -u +%Y-%m-%d)"
RUN="$WORK/hf-run-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
load() { cut -d" " -f1 /proc/loadavg; }

log "building moe-data (release)"
(cd "$REPO" && swift build -c release --product moe-data 2>&1 | tail -1)
MOE="$(cd "$REPO" && swift build -c release --show-bin-path)/moe-data"
python3 -c "import tokenizers, zstandard, numpy, sentencepiece" \
  || { echo "pip install tokenizers==0.22.1 zstandard numpy sentencepiece" >&2; exit 1; }
if [ ! -f "$C1/corpus.json" ]; then
  log "making the ingest corpus (bench/ingest/make_corpus.py)"
  python3 "$REPO/bench/ingest/make_corpus.py" --work "$WORK" --mb 210 --scale 1 > "$WORK/make-x1.log"
fi
python3 "$HERE/prepare.py" --corpus "$C1" --work "$HF"
DT="$WORK/venv-datatrove/bin/python"
if [ "$SKIP_DATATROVE" != 1 ] && [ ! -x "$DT" ]; then
  log "installing datatrove into $WORK/venv-datatrove"
  python3 -m venv "$WORK/venv-datatrove"
  "$WORK/venv-datatrove/bin/pip" install -q datatrove tokenizers==0.22.1 zstandard orjson
fi
eos_of() { [ "$1" = llama3 ] && echo "<|end_of_text|>" || echo "<|endoftext|>"; }

# 1. The same ids.
for kind in gpt2 llama3; do
  "$MOE" tokenizer encode -m "$HF/$kind.json" --sentinels 0 --eos "$(eos_of $kind)" \
    < "$HF/lines.txt" > "$RUN/$kind.ours"
  RAYON_NUM_THREADS=2 python3 "$HERE/hf_ids.py" "$HF/$kind.json" "$HF/lines.txt" "$RUN/$kind.theirs"
  if cmp -s "$RUN/$kind.ours" "$RUN/$kind.theirs"; then echo identical; else echo DIFFERENT; fi > "$RUN/$kind.ids"
  echo "$(wc -l < "$RUN/$kind.ours")" >> "$RUN/$kind.ids"
  rm -f "$RUN/$kind.ours" "$RUN/$kind.theirs"
done

# 2. The encoders, one core, alternating.
cat "$HF/lines.txt" > /dev/null
for round in $(seq "$ROUNDS"); do
  for kind in gpt2 llama3; do
    log "encoder round $round: $kind"
    l=$(load); out=$(taskset -c 0 "$MOE" tokenizer bench -m "$HF/$kind.json" --sentinels 0 --eos "$(eos_of $kind)" \
      --input "$HF/lines.txt" --jobs 1 --runs 1)
    echo "{\"round\": $round, \"kind\": \"$kind\", \"who\": \"native\", \"load\": $l, \"line\": \"$out\"}" \
      >> "$RUN/encoder.jsonl"
    for method in encode_batch encode_batch_fast; do
      l=$(load)
      out=$(RAYON_NUM_THREADS=1 taskset -c 0 python3 "$HERE/hf_encode.py" "$HF/$kind.json" "$HF/lines.txt" $method)
      echo "{\"round\": $round, \"kind\": \"$kind\", \"who\": \"$method\", \"load\": $l, \"result\": $out}" \
        >> "$RUN/encoder.jsonl"
    done
  done
done

# 3. Ingest, two cores, alternating.
cat > "$RUN/moe.yaml" <<YAML
name: bench-hf
output: $RUN/moe-out
on_error: skip
tokenizer:
  model: $HF/gpt2.json
  sentinels: 300
  eos: "<|endoftext|>"
sources:
  - name: corpus
    format: jsonl
    paths: ["$C1/jsonl/*.jsonl.zst"]
    domain: web
YAML
cat "$C1"/jsonl/* > /dev/null
timed() { local name="$1"; shift; load > "$RUN/$name.load"; /usr/bin/time -v -o "$RUN/$name.time" "$@"; }
for round in $(seq "$ROUNDS"); do
  log "ingest round $round: moe-data ingest --jobs 2"
  rm -rf "$RUN/moe-out"
  timed "moe-$round" "$MOE" ingest "$RUN/moe.yaml" --jobs 2 --quiet
  python3 -c "import sqlite3, sys; db = sqlite3.connect(sys.argv[1])
print(db.execute('select sum(tokens) from shards').fetchone()[0])" \
    "$RUN/moe-out/catalog.sqlite" > "$RUN/moe-$round.tokens"
  rm -rf "$RUN/moe-out"
  log "ingest round $round: tokenizers peer, 2 threads"
  rm -rf "$RUN/peer-out"
  RAYON_NUM_THREADS=2 timed "peer-$round" python3 "$HERE/tokenizers_peer.py" "$C1" "$HF/gpt2.json" "$RUN/peer-out" \
    > "$RUN/peer-$round.json"
  rm -rf "$RUN/peer-out"
  if [ "$SKIP_DATATROVE" != 1 ]; then
    log "ingest round $round: datatrove DocumentTokenizer, 2 workers"
    rm -rf "$RUN/dt-out"
    RAYON_NUM_THREADS=1 timed "datatrove-$round" "$DT" "$HERE/datatrove_peer.py" --corpus "$C1" \
      --model "$HF/gpt2.json" \
      --eos "<|endoftext|>" --out "$RUN/dt-out" > "$RUN/datatrove-$round.json" 2> "$RUN/datatrove-$round.log"
    rm -rf "$RUN/dt-out"
  fi
done

python3 "$HERE/report.py" --run "$RUN" --rounds "$ROUNDS" --corpus "$C1" --date "$DATE" > "$RUN/results.md"
OUT="$HERE/results-$DATE.md"; k=2
while [ -e "$OUT" ]; do OUT="$HERE/results-$DATE-$k.md"; k=$((k + 1)); done
cp "$RUN/results.md" "$OUT"
cat "$RUN/results.md"
log "written $OUT (run folder $RUN)"
