#!/usr/bin/env bash
# The scale-out benchmark of issue 13, in ONE run on the same corpus (bench/ingest's 210 MB of real
# text and code, 16 JSONL.zst files, SentencePiece unigram 32k):
#
#   one process   moe-data ingest --jobs 2                               (the peer: all cores, one process)
#   Slurm         moe-data slurm --tasks 2 --cpus-per-task 1 on the local one-node Slurm
#                 (scripts/slurm-local): 2 array elements, one ingest task each, then the merge job
#   merge         moe-data merge on the Slurm run's output (the ingest is not repeated)
#
# Alternating (one process, Slurm; Slurm, one process; ...), REPS times (default 3), medians reported.
# The Slurm time runs from the submission to the last task's completion marker, so it includes
# Slurm's scheduling and each task's start-up (partition plan, tokenizer load). Merge is timed
# 3 times per rep on the finished tasks (it re-merges from scratch each time).
#
#   bash bench/slurm/run.sh                    # needs root (slurm-local), ~10 minutes
#   REPS=5 BENCH_WORK=/other/dir bash bench/slurm/run.sh
#
# Work files go to $BENCH_WORK (default /work/bench-data), never into the repository. The table is
# printed and written to bench/slurm/results-<date>.md.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${BENCH_WORK:-/work/bench-data}"
# Read by bench/ingest/prepare.sh (sourced below).
# shellcheck disable=SC2034
MB="${BENCH_MB:-210}"
# shellcheck disable=SC2034
SKIP_DOUBLE=1
REPS="${REPS:-3}"
DATE="$(date -u +%Y-%m-%d)"
RUN="$WORK/slurm-run-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$WORK" "$RUN"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
now() { date +%s.%N; }

log "building moe-data (release)"
(cd "$REPO" && swift build -c release --product moe-data 2>&1 | tail -1)
MOE="$(cd "$REPO" && swift build -c release --show-bin-path)/moe-data"

# shellcheck disable=SC2034
HERE_INGEST="$REPO/bench/ingest"
# shellcheck source=bench/ingest/prepare.sh source-path=SCRIPTDIR/../..
source "$REPO/bench/ingest/prepare.sh"

export MOE_DATA_SLURM_DIR="$WORK/slurm-state"
log "starting the local Slurm ($MOE_DATA_SLURM_DIR)"
"$REPO/scripts/slurm-local" start > "$RUN/slurm-start.log"
# shellcheck disable=SC1091
source "$MOE_DATA_SLURM_DIR/env"
trap '"$REPO/scripts/slurm-local" stop > /dev/null 2>&1 || true' EXIT

cat "$C1"/jsonl/* > /dev/null   # warm the page cache for both

one_process() {  # $1 rep
  local out="$RUN/one-$1"; rm -rf "$out"
  corpus_manifest "$C1" "$out" > "$RUN/one-$1.yaml"
  cut -d" " -f1 /proc/loadavg > "$RUN/one-$1.load"
  local s e; s=$(now)
  "$MOE" ingest "$RUN/one-$1.yaml" --jobs 2 --quiet
  e=$(now); echo "$s $e" > "$RUN/one-$1.wall"
  sqlite3 "$out/catalog.sqlite" "select sum(documents), sum(tokens) from sources" > "$RUN/one-$1.counts"
  rm -rf "$out"
}

slurm_run() {  # $1 rep
  local out="$RUN/slurm-$1"; rm -rf "$out"
  corpus_manifest "$C1" "$out" > "$RUN/slurm-$1.yaml"
  cut -d" " -f1 /proc/loadavg > "$RUN/slurm-$1.load"
  local s; s=$(now)
  "$MOE" slurm "$RUN/slurm-$1.yaml" --tasks 2 --cpus-per-task 1 > "$RUN/slurm-$1.submit"
  while [ ! -f "$out/tasks/task-00000.done" ] || [ ! -f "$out/tasks/task-00001.done" ]; do
    if ! squeue -h -o %i | grep -q .; then
      echo "Slurm has no job left but a task is not done; see $out/slurm/logs" >&2; exit 1
    fi
    sleep 0.05
  done
  local e; e=$(stat -c %.Y "$out/tasks/task-00000.done" "$out/tasks/task-00001.done" | sort -n | tail -1)
  echo "$s $e" > "$RUN/slurm-$1.wall"
  while squeue -h -o %i | grep -q .; do sleep 0.2; done   # the merge job
  "$MOE" status "$out" > "$RUN/slurm-$1.status" || true
  sqlite3 "$out/catalog.sqlite" "select sum(documents), sum(tokens) from sources" > "$RUN/slurm-$1.counts"
  for k in 1 2 3; do
    local ms me; ms=$(now)
    "$MOE" merge "$out" --quiet
    me=$(now); echo "$ms $me" >> "$RUN/merge-$1.walls"
  done
  du -sb "$out/tokens" | cut -f1 > "$RUN/slurm-$1.outbytes"
  rm -rf "$out"
}

for rep in $(seq 1 "$REPS"); do
  if [ $((rep % 2)) = 1 ]; then
    log "rep $rep: one process"; one_process "$rep"
    log "rep $rep: Slurm, 2 tasks x 1 CPU"; slurm_run "$rep"
  else
    log "rep $rep: Slurm, 2 tasks x 1 CPU"; slurm_run "$rep"
    log "rep $rep: one process"; one_process "$rep"
  fi
done

python3 - "$RUN" "$REPS" "$DATE" "$C1" > "$RUN/results.md" <<'EOF'
import json, os, statistics, sys
run, reps, date, corpus = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
def wall(name):
    s, e = map(float, open(os.path.join(run, name)).read().split()); return e - s
def text(name): return open(os.path.join(run, name)).read().strip()
one = [wall(f"one-{r}.wall") for r in range(1, reps + 1)]
sl = [wall(f"slurm-{r}.wall") for r in range(1, reps + 1)]
merges = []
for r in range(1, reps + 1):
    for line in open(os.path.join(run, f"merge-{r}.walls")):
        s, e = map(float, line.split()); merges.append(e - s)
counts = {text(f"one-{r}.counts") for r in range(1, reps + 1)} | {text(f"slurm-{r}.counts") for r in range(1, reps + 1)}
mb = json.load(open(os.path.join(corpus, "corpus.json")))["text_bytes"] / 1e6
docs, tokens = text("one-1.counts").split("|")
m1, ms, mm = statistics.median(one), statistics.median(sl), statistics.median(merges)
print(f"# Scale-out benchmark (issue 13), {date}\n")
print(f"Corpus: {mb:.1f} MB of real text and code ({docs} documents, {int(tokens):,} tokens, 16 JSONL.zst files); "
      f"SentencePiece unigram 32k. Machine: {os.cpu_count()} cores, shared. Local one-node Slurm (scripts/slurm-local). "
      f"{reps} alternating reps; medians.\n")
print("| run | " + " | ".join(f"rep {r}" for r in range(1, reps + 1)) + " | median s | MB/s | tokens/s |")
print("|---|" + "---:|" * (reps + 3))
for name, xs in [("one process, `ingest --jobs 2`", one), ("Slurm, 2 tasks x 1 CPU (submit to last task done)", sl)]:
    med = statistics.median(xs)
    print(f"| {name} | " + " | ".join(f"{x:.2f}" for x in xs) + f" | {med:.2f} | {mb/med:.2f} | {int(tokens)/med:,.0f} |")
print(f"| merge (3 per rep, {len(merges)} in all) | " + " | ".join(
    f"{statistics.median(merges[3*(r-1):3*r]):.3f}" for r in range(1, reps + 1)) + f" | {mm:.3f} | | |")
print()
print("| ratio | measured | target | met |\n|---|---:|---:|---|")
print(f"| Slurm throughput / one-process throughput | {m1/ms:.3f} | >= 0.90 | {'yes' if m1/ms >= 0.9 else 'NO'} |")
print(f"| merge time / Slurm ingest time | {100*mm/ms:.2f}% | < 5% | {'yes' if mm/ms < 0.05 else 'NO'} |")
print()
print(f"Documents and tokens equal in every run: {'yes' if len(counts) == 1 else 'NO: ' + str(sorted(counts))}. "
      "Load average (1 min) before each run: " + ", ".join(
          f"one-{r} {text(f'one-{r}.load')}, slurm-{r} {text(f'slurm-{r}.load')}" for r in range(1, reps + 1)) + ".")
EOF
OUT="$HERE/results-$DATE.md"; k=2
while [ -e "$OUT" ]; do OUT="$HERE/results-$DATE-$k.md"; k=$((k + 1)); done
cp "$RUN/results.md" "$OUT"
cat "$RUN/results.md"
log "written $OUT (run folder $RUN)"
