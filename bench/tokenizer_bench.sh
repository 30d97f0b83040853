#!/usr/bin/env bash
# Batched encoding through moe-data's Tokenizer vs spm_encode, on 1 and 2 cores, on real text.
#
#   bench/tokenizer_bench.sh [MODEL]        (builds nothing: run `swift build -c release` first)
#
# Corpus: the Python docs sources (prose) and standard library (code), ~18 MB, one text per line.
# Without MODEL, a 8,000-piece model (the `tokenizer train` default) is trained on a 20 MB sample.
# spm_encode is single-threaded; its 2-core figure runs two spm_encode processes on the two halves.
set -euo pipefail
# The 2-core rows only mean something on an otherwise idle machine: check `uptime` first.
uptime
BIN=${MOE_DATA:-.build/release/moe-data}
WORK=${BENCH_DIR:-/tmp/moe-data-tokenizer-bench}
mkdir -p "$WORK"
CORPUS=$WORK/corpus.txt
if [ ! -s "$CORPUS" ]; then
  { find /usr/share/doc/python3.11/html/_sources -name '*.rst.txt' | sort | xargs cat
    find /usr/lib/python3.11 -maxdepth 2 -name '*.py' | sort | head -400 | xargs cat; } > "$CORPUS"
fi
MODEL=${1:-$WORK/bench.model}
if [ ! -s "$MODEL" ]; then
  /usr/bin/time -f "train: %e s wall, peak RSS %M KB" "$BIN" tokenizer train -o "$MODEL" --input "$CORPUS"
fi
BYTES=$(stat -c %s "$CORPUS")
LINES=$(wc -l < "$CORPUS")
echo "corpus: $BYTES bytes, $LINES lines; model: $MODEL"

now() { date +%s.%N; }
best_of() {  # best wall time of 3 runs of "$@"
  local best=1e9
  for _ in 1 2 3; do
    local t0 t1; t0=$(now); "$@" > /dev/null; t1=$(now)
    best=$(echo "$t1 - $t0" | bc -l | awk -v b="$best" '{print ($1 < b) ? $1 : b}')
  done
  echo "$best"
}
split -n l/2 -d "$CORPUS" "$WORK/half."
spm1=$(best_of taskset -c 0 spm_encode --model="$MODEL" --output_format=id --input="$CORPUS")
spm2=$(best_of bash -c "spm_encode --model='$MODEL' --output_format=id --input='$WORK/half.00' > /dev/null & spm_encode --model='$MODEL' --output_format=id --input='$WORK/half.01' > /dev/null; wait")
cli1=$(best_of bash -c "taskset -c 0 '$BIN' tokenizer encode -m '$MODEL' --jobs 1 < '$CORPUS'")
cli2=$(best_of bash -c "'$BIN' tokenizer encode -m '$MODEL' --jobs 2 < '$CORPUS'")
lib1=$(taskset -c 0 "$BIN" tokenizer bench -m "$MODEL" --input "$CORPUS" --jobs 1 | sed 's/.*seconds \([0-9.]*\).*/\1/')
lib2=$("$BIN" tokenizer bench -m "$MODEL" --input "$CORPUS" --jobs 2 | sed 's/.*seconds \([0-9.]*\).*/\1/')
mbs() { echo "$BYTES / $1 / 1000000" | bc -l | xargs printf "%.2f"; }
ratio() { echo "$2 / $1" | bc -l | xargs printf "%.2f"; }
echo
echo "| what | cores | seconds | MB/s | vs spm_encode 1 core |"
echo "|---|---|---|---|---|"
echo "| spm_encode --output_format=id | 1 | $(printf %.2f "$spm1") | $(mbs "$spm1") | 1.00 |"
echo "| spm_encode x2 (two halves) | 2 | $(printf %.2f "$spm2") | $(mbs "$spm2") | $(ratio "$spm2" "$spm1") |"
echo "| moe-data tokenizer encode (stdin→ids) | 1 | $(printf %.2f "$cli1") | $(mbs "$cli1") | $(ratio "$cli1" "$spm1") |"
echo "| moe-data tokenizer encode --jobs 2 | 2 | $(printf %.2f "$cli2") | $(mbs "$cli2") | $(ratio "$cli2" "$spm1") |"
echo "| Tokenizer.encodeBatch (in memory) | 1 | $(printf %.2f "$lib1") | $(mbs "$lib1") | $(ratio "$lib1" "$spm1") |"
echo "| Tokenizer.encodeBatch jobs 2 | 2 | $(printf %.2f "$lib2") | $(mbs "$lib2") | $(ratio "$lib2" "$spm1") |"
