#!/usr/bin/env bash
# Builds the libFuzzer harnesses (bench/fuzz/build.sh) and runs each one for a time or a number
# of executions, starting from the seeds in bench/fuzz/corpus/<harness>/. New inputs go to
# $FUZZ_OUT/corpus/<harness>/ (outside the repository), crashes to $FUZZ_OUT/crashes/, logs to
# $FUZZ_OUT/logs/. Prints one line per harness (executions, exec/s, result) and exits non-zero
# when a harness found a crash, a leak, a timeout or an out-of-memory input.
#
# Usage: bench/fuzz/run.sh [--seconds T] [--runs N] [harness...]   (default: 60 s each, all;
# with both limits a harness stops at whichever comes first)
# A crash reproduces with: $FUZZ_OUT/fuzz-<harness> <crash file>
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${FUZZ_OUT:-$ROOT/.build/fuzz}
export FUZZ_OUT=$OUT
limit=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --seconds) limit+=(-max_total_time="$2"); shift 2 ;;
        --runs) limit+=(-runs="$2"); shift 2 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) break ;;
    esac
done
[[ ${#limit[@]} -gt 0 ]] || limit=(-max_total_time=60)
HARNESSES=("$@")
[[ $# -gt 0 ]] || HARNESSES=(json jsonl zstd gzip mds spm_model manifest mixture parquet)

start=$(date +%s)
"$ROOT/bench/fuzz/build.sh" "${HARNESSES[@]}"
echo "fuzz: build took $(( $(date +%s) - start )) s; load average $(cut -d' ' -f1-3 /proc/loadavg)"

mkdir -p "$OUT/crashes" "$OUT/logs"
failed=()
for h in "${HARNESSES[@]}"; do
    mkdir -p "$OUT/corpus/$h"
    log=$OUT/logs/$h.log
    # rss/malloc limit 2 GB and 10 s a run: a bounded reader never needs more on a 4 KB input.
    set +e
    LSAN_OPTIONS=suppressions=$ROOT/bench/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS} \
    "$OUT/fuzz-$h" "${limit[@]}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$OUT/crashes/$h-" "$OUT/corpus/$h" "$ROOT/bench/fuzz/corpus/$h" >"$log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [[ $rc -eq 0 ]]; then
        result=ok
    else
        result="FAILED (exit $rc): $(grep -m1 -E 'ERROR: |Fatal error|SUMMARY' "$log" || echo "see $log")"
        failed+=("$h")
        grep -E '^artifact_prefix|Test unit written to' "$log" || true
    fi
    printf 'fuzz: %-10s %10s executions %8s exec/s  %s\n' "$h" "${runs:-?}" "${rate:-?}" "$result"
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: crashes in: ${failed[*]} (inputs in $OUT/crashes, logs in $OUT/logs)"
    exit 1
fi
