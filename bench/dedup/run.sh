#!/usr/bin/env bash
# Near dedup (issue 24): `moe-data dedup` against datatrove's MinHash pipeline and datasketch, with
# FineWeb's settings (word 5-grams, 112 permutations in 14 bands of 8).
#
#   accuracy  planted.py's corpus: PAIRS real paragraphs (Python's documentation) and a copy of each
#             with words deleted, inserted and swapped at seeded rates, plus unrelated paragraphs;
#             recall at true Jaccard >= 0.85 and the share of removed pairs below 0.6, for all three
#   speed     the first SHARDS (default 4) of the 16 shards of bench/ingest's big corpus (text and
#             code, jsonl.zst; ingested once, cached): documents per CPU-second (user + sys) of
#             `moe-data dedup --jobs 1` (reading the texts again, signatures, buckets, clusters), of
#             datatrove's signature, bucket, cluster and filter stages (one task each, 14 bucket
#             tasks, as its examples run them), and of datasketch; moe-data also with token-id
#             shingles (`shingles: tokens`) for accuracy
#   memory    peak RSS and speed of `moe-data dedup` on the whole 300 MB corpus and its 512 MB version
#   (the peers' speed on the whole corpus, PEER_RUN=x1, the default; PEER_RUN=subset as before)
#
# Each timed step holds the machine lock exclusively (flock -x /work/tools/machine.lock), for that
# step only; the ingests hold it shared.
#
#   bash bench/dedup/run.sh                 # PAIRS=1000 SKIP_SPEED=1 BENCH_WORK=/other/dir
#
# Work files go to $BENCH_WORK (default /work/bench-data)/dedup-bench, never into the repository. The
# peers run in $BENCH_WORK/venv-datatrove (datatrove, datasketch: pip, never CI). Results are printed
# and written to bench/dedup/results-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE="$PWD/bench/dedup" WORK="${BENCH_WORK:-/work/bench-data}" PAIRS="${PAIRS:-1000}"
D="$WORK/dedup-bench" LOCK=/work/tools/machine.lock DATE="$(date -u +%Y-%m-%d)"
MODEL="$WORK/spm/unigram32k.model"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
mkdir -p "$D"
[ -f "$MODEL" ] || { echo "no $MODEL: run bench/ingest/run.sh once (it trains the model)" >&2; exit 1; }

log "building moe-data (release)"
flock -s "$LOCK" swift build -c release --product moe-data 2>&1 | tail -1
MOE="$(swift build -c release --show-bin-path)/moe-data"
V="$WORK/venv-datatrove/bin/python"
if ! "$V" -c "import datatrove, datasketch, zstandard, regex, spacy, xxhash, tokenizers" 2>/dev/null; then
  log "installing datatrove and datasketch into $WORK/venv-datatrove"
  [ -x "$V" ] || python3 -m venv "$WORK/venv-datatrove"
  "$WORK/venv-datatrove/bin/pip" install -q datatrove datasketch zstandard orjson regex spacy xxhash tokenizers
fi

manifest() {  # $1 output, $2.. sources as "name:glob"; NEAR: the near settings (default FineWeb's)
  local out=$1; shift
  printf 'name: dedup-bench\noutput: %s\non_error: skip\ntokenizer: {model: %s, sentinels: 300}\nsources:\n' \
    "$out" "$MODEL"
  for s in "$@"; do printf '  - {name: %s, format: jsonl, paths: ["%s"], domain: web}\n' "${s%%:*}" "${s#*:}"; done
  printf 'dedup:\n  keep: [%s]\n  near: %s\n' "${1%%:*}" \
    "${NEAR:-{ngram: 5, permutations: 112, bands: 14, threshold: 0.75\}}"
}
timed() {  # $1 label, rest: command; appends "label user sys maxrss_kb wall" to $D/times
  local label=$1; shift
  flock -x "$LOCK" /usr/bin/time -f "$label %U %S %M %e" -a -o "$D/times" "$@" > "$D/$label.log" 2>&1
}
: > "$D/times"
: > "$D/accuracy"

# 1. Accuracy on planted near-duplicates.
P="$D/planted"
rm -rf "$P" && mkdir -p "$P/corpus"
python3 "$HERE/planted.py" make "$P/corpus" "$PAIRS"
manifest "$P/out" "a:$P/corpus/a.jsonl" "b:$P/corpus/b.jsonl" > "$P/m.yaml"
flock -s "$LOCK" "$MOE" ingest "$P/m.yaml" --quiet
"$MOE" dedup "$P/m.yaml" --quiet --jobs 1
sqlite3 -separator ' ' "$P/out/catalog.sqlite" "SELECT doc_id, kept_doc_id FROM dedup_removals" > "$P/moe.pairs"
# The same with token-id shingles (7-grams of the 32k model's ids, the default of `shingles: tokens`).
NEAR="{shingles: tokens, permutations: 112, bands: 14, threshold: 0.75}" \
  manifest "$P/out-tokens" "a:$P/corpus/a.jsonl" "b:$P/corpus/b.jsonl" > "$P/m-tokens.yaml"
flock -s "$LOCK" "$MOE" ingest "$P/m-tokens.yaml" --quiet
"$MOE" dedup "$P/m-tokens.yaml" --quiet --jobs 1
sqlite3 -separator ' ' "$P/out-tokens/catalog.sqlite" "SELECT doc_id, kept_doc_id FROM dedup_removals" \
  > "$P/moe-tokens.pairs"
"$V" "$HERE/peers.py" datatrove "$P/corpus" "*.jsonl" "$P/datatrove" "$P/datatrove.pairs" > "$P/datatrove.log" 2>&1
"$V" "$HERE/peers.py" datasketch "$P/datasketch.pairs" "$P/corpus/a.jsonl" "$P/corpus/b.jsonl"
for peer in moe moe-tokens datatrove datasketch; do
  echo "$peer $(python3 "$HERE/planted.py" score "$P/corpus" "$P/$peer.pairs")" >> "$D/accuracy"
done

# 2. Speed on the first SHARDS shards of the big corpus (all three), and memory of moe-data on the
#    whole corpus and its larger version (the peers' runs on 300 MB would hold the machine for long).
if [ "${SKIP_SPEED:-0}" != 1 ]; then
  SHARDS="${SHARDS:-4}"
  C="$WORK/corpus-big-300mb-x1"
  [ -d "$C/jsonl" ] || { echo "no $C: run bench/ingest/pipeline.sh once (it makes the corpus)" >&2; exit 1; }
  S="$D/subset" && rm -rf "$S" && mkdir -p "$S/jsonl"
  for f in $(ls "$C"/jsonl/*.jsonl.zst | head -n "$SHARDS"); do ln -s "$f" "$S/jsonl/"; done
  for run in subset x1 x2; do
    case $run in subset) glob="$S/jsonl/*.jsonl.zst";; *) glob="$WORK/corpus-big-300mb-$run/jsonl/*.jsonl.zst";; esac
    O="$D/out-$run"
    manifest "$O" "corpus:$glob" > "$D/$run.yaml"
    log "ingesting $run (cached)"
    (echo 19 > /proc/self/autogroup; flock -s "$LOCK" "$MOE" ingest "$D/$run.yaml" --quiet --jobs 2)
    rm -rf "$O/dedup"
    log "moe-data dedup $run"
    timed "moe-$run" "$MOE" dedup "$D/$run.yaml" --jobs 1
  done
  # The peers on PEER_RUN: the whole 300 MB corpus (x1, the default: about 11 minutes of datatrove)
  # or the subset.
  PEER_RUN="${PEER_RUN:-x1}"
  case $PEER_RUN in subset) PJ="$S/jsonl";; *) PJ="$WORK/corpus-big-300mb-$PEER_RUN/jsonl";; esac
  rm -rf "$D/datatrove-$PEER_RUN"
  log "datatrove on $PEER_RUN"
  timed "datatrove-$PEER_RUN" "$V" "$HERE/peers.py" datatrove "$PJ" "*.jsonl.zst" "$D/datatrove-$PEER_RUN" \
    "$D/datatrove-$PEER_RUN.pairs"
  if [ "${SKIP_DATASKETCH:-0}" != 1 ]; then
    log "datasketch on $PEER_RUN"
    timed "datasketch-$PEER_RUN" "$V" "$HERE/peers.py" datasketch "$D/datasketch-$PEER_RUN.pairs" "$PJ"/*.jsonl.zst
  fi
fi
python3 "$HERE/report.py" "$D" "$WORK" | tee "$HERE/results-$DATE.md"
