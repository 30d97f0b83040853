#!/usr/bin/env bash
# How much of a RedPajama-style GitHub source duplicates a Stack-style source (issue 24), exactly and
# nearly, on real code: bench/dedup/overlap.py's two sources (pyenv's CPython 3.11.7 tree against
# Debian's packages, about 320 MB of code), ingested with bench/ingest's 32k unigram model, then
# `moe-data dedup` across sources, The Stack kept first (OpenMoE's case), with fineweb exact dedup and
# FineWeb's near settings: once with word 5-grams (the default), once with token-id 7-grams; then both
# again without exact dedup, where token shingles read no text at all. Each dedup run is timed (GNU
# time: CPU seconds and peak RSS) under the machine lock.
#
#   bash bench/dedup/overlap.sh             # BENCH_WORK=/other/dir
#
# Work files go to $BENCH_WORK (default /work/bench-data)/dedup-overlap, never into the repository.
# The table is printed and written to bench/dedup/overlap-<date>.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE="$PWD/bench/dedup" WORK="${BENCH_WORK:-/work/bench-data}"
D="$WORK/dedup-overlap" LOCK=/work/tools/machine.lock DATE="$(date -u +%Y-%m-%d)"
MODEL="$WORK/spm/unigram32k.model"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
[ -f "$MODEL" ] || { echo "no $MODEL: run bench/ingest/run.sh once (it trains the model)" >&2; exit 1; }
mkdir -p "$D" "$(dirname "$LOCK")"
swift build -c release --product moe-data 2>&1 | tail -1
MOE="$(swift build -c release --show-bin-path)/moe-data"

if [ ! -f "$D/corpus/overlap.json" ]; then
  log "making the two sources"
  rm -rf "$D/corpus" && python3 "$HERE/overlap.py" "$D/corpus" > /dev/null
fi

manifest() {  # $1 near settings, $2 exact (default fineweb; "" for none)
  local exact="  exact: ${2-fineweb}"
  [ -z "${2-fineweb}" ] && exact=""
  cat <<EOF
name: overlap
output: $D/out
on_error: skip
tokenizer: {model: $MODEL, sentinels: 300}
sources:
  - {name: github, format: jsonl, paths: ["$D/corpus/github/*.jsonl.zst"], text_field: text, domain: code}
  - {name: the_stack, format: jsonl, paths: ["$D/corpus/the_stack/*.jsonl.zst"], text_field: content, domain: code}
dedup:
  scope: across
  keep: [the_stack, github]
$exact
  near: $1
EOF
}
manifest "{}" > "$D/words.yaml"
manifest "{shingles: tokens}" > "$D/tokens.yaml"
manifest "{}" "" > "$D/words-near.yaml"
manifest "{shingles: tokens}" "" > "$D/tokens-near.yaml"
log "ingesting (cached)"
flock -s "$LOCK" "$MOE" ingest "$D/words.yaml" --quiet --jobs 2

for kind in words tokens words-near tokens-near; do
  log "dedup, $kind"
  rm -rf "$D/out/dedup"
  flock -x "$LOCK" /usr/bin/time -f "%U %S %M %e" -o "$D/$kind.time" "$MOE" dedup "$D/$kind.yaml" --jobs 1 --quiet
  sqlite3 -separator '|' "$D/out/catalog.sqlite" \
    "SELECT source, kind, kept_source, count(*), sum(tokens), printf('%.3f', avg(jaccard)) FROM dedup_removals
     WHERE removed GROUP BY source, kind, kept_source ORDER BY source, kind, kept_source" > "$D/$kind.removals"
  "$MOE" stats "$D/out" > "$D/$kind.stats"
done
sqlite3 -separator '|' "$D/out/catalog.sqlite" "SELECT name, documents, tokens FROM sources ORDER BY name" \
  > "$D/sources"

python3 - "$D" "$DATE" > "$D/results.md" <<'EOF'
import json, sys
d, date = sys.argv[1], sys.argv[2]
corpus = json.load(open(f"{d}/corpus/overlap.json"))
sources = {n: (int(docs), int(toks)) for n, docs, toks in (l.strip().split("|") for l in open(f"{d}/sources"))}
print(f"# GitHub-style against Stack-style code (issue 24), {date}\n")
for name, info in corpus.items():
    print(f"- `{name}`: {info['files']:,} files, {info['text_bytes'] / 1e6:.1f} MB of text; ingested "
          f"{sources[name][0]:,} documents, {sources[name][1]:,} tokens")
print()
print("| shingles | source | kind | kept in | documents | share of the source's documents | tokens | "
      "share of its tokens | mean estimated J |")
print("|---|---|---|---|---:|---:|---:|---:|---:|")
for kind in ("words", "tokens"):
    for line in open(f"{d}/{kind}.removals"):
        source, what, kept, count, tokens, jaccard = line.strip().split("|")
        docs, toks = sources[source]
        j = jaccard if what == "near" else ""
        print(f"| {kind} | {source} | {what} | {kept} | {int(count):,} | {int(count) / docs:.2%} | "
              f"{int(tokens):,} | {int(tokens) / toks:.2%} | {j} |")
print()
print("| dedup run | CPU s (user + sys) | wall s | peak RSS MB | documents per CPU-second |")
print("|---|---:|---:|---:|---:|")
total = sum(v[0] for v in sources.values())
for kind in ("words", "tokens", "words-near", "tokens-near"):
    user, system, rss, wall = map(float, open(f"{d}/{kind}.time").read().split())
    print(f"| `{kind}` | {user + system:.1f} | {wall:.1f} | {rss / 1024:.0f} | {total / (user + system):,.0f} |")
EOF
cp "$D/results.md" "$HERE/overlap-$DATE.md"
cat "$D/results.md"
