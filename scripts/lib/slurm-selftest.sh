#!/usr/bin/env bash
# `scripts/slurm-local selftest`: proves that the local one-node Slurm does what moe-data's Slurm tests rely on.
# It starts a fresh instance in its own state folder (its own ports when 6817/6818 are taken), then:
#   - a job array --array=0-3%2 of short jobs plus an --dependency=afterok job: all complete, at most 2 at a time;
#   - an array with a failing element: the afterok job is cancelled (kill_invalid_depend), not pending for ever;
#   - scancel of one running element: it ends CANCELLED, the others complete;
#   - sacct -c (jobcomp/filetxt) lists the finished jobs;
#   - stop, start again on the same ports, one short job, stop.
# Prints the time of each step. Exits non-zero on the first failure, leaving Slurm stopped and the state
# folder (logs, job outputs) in place; on success it removes the folder.
# The jobs' commands (--wrap '...') are single-quoted on purpose: the job's shell expands them, not this one.
# shellcheck disable=SC2016
set -euo pipefail

SLURM_LOCAL="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/slurm-local"
JOB_TIMEOUT=60 # seconds any one step may wait for its jobs

say() { printf 'slurm-local selftest: %s\n' "$*"; }
fail() {
    printf 'slurm-local selftest: FAILED: %s\n' "$*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || fail "must run as root (it starts slurmctld, slurmd and munged)"

export MOE_DATA_SLURM_DIR
MOE_DATA_SLURM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/moe-data-slurm-selftest.XXXXXX")
export SLURM_CONF="$MOE_DATA_SLURM_DIR/slurm.conf"
JOBS="$MOE_DATA_SLURM_DIR/jobs"
unset MOE_DATA_SLURM_CTLD_PORT MOE_DATA_SLURM_SLURMD_PORT
PASSED=0

finish() {
    local status=$?
    "$SLURM_LOCAL" stop >/dev/null 2>&1 || true
    if [ "$status" -eq 0 ] && [ "$PASSED" -eq 1 ]; then
        rm -rf "$MOE_DATA_SLURM_DIR"
    else
        printf 'slurm-local selftest: Slurm is stopped; logs and job outputs kept in %s\n' "$MOE_DATA_SLURM_DIR" >&2
    fi
}
trap finish EXIT

TIMINGS=()
now() { date +%s.%N; }
# timed NAME COMMAND...: runs the command and records how long it took.
timed() {
    local name=$1 start
    shift
    start=$(now)
    "$@"
    TIMINGS+=("$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%6.2f s", b - a }')  $name")
}

FINAL_STATES=" COMPLETED FAILED CANCELLED TIMEOUT NODE_FAIL OUT_OF_MEMORY PREEMPTED BOOT_FAIL DEADLINE "

# states JOB...: "id STATE" per job or array element, finished ones included.
states() {
    local ids
    ids=$(IFS=,; printf '%s' "$*")
    squeue -h -r -t all -j "$ids" -o '%i %T'
}

# wait_done JOB...: waits until every job and array element has ended.
wait_done() {
    local deadline=$((SECONDS + JOB_TIMEOUT)) state unfinished
    while :; do
        unfinished=0
        while read -r _ state; do
            [[ $FINAL_STATES == *" $state "* ]] || unfinished=$((unfinished + 1))
        done < <(states "$@")
        [ "$unfinished" -eq 0 ] && return 0
        [ "$SECONDS" -ge "$deadline" ] && { states "$@" >&2; fail "jobs $* not finished after ${JOB_TIMEOUT} s"; }
        sleep 0.2
    done
}

# expect_state JOB STATE: that job (or array element, e.g. 12_3) ended in that state.
expect_state() {
    local got
    got=$(squeue -h -t all -j "$1" -o %T)
    [ "$got" = "$2" ] || fail "job $1 is ${got:-unknown to squeue}, expected $2"
}

# wait_for_state JOB STATE: waits until that job is in that state (e.g. RUNNING).
wait_for_state() {
    local deadline=$((SECONDS + JOB_TIMEOUT))
    until [ "$(squeue -h -t all -j "$1" -o %T)" = "$2" ]; do
        [ "$SECONDS" -ge "$deadline" ] && fail "job $1 not $2 after ${JOB_TIMEOUT} s"
        sleep 0.1
    done
}

submit() { sbatch --parsable "$@" | cut -d';' -f1; }

step_start() {
    if ! "$SLURM_LOCAL" start >"$MOE_DATA_SLURM_DIR/start.out" 2>&1; then
        cat "$MOE_DATA_SLURM_DIR/start.out" >&2
        fail "start"
    fi
    [ "$(sinfo -h -N -o %T)" = idle ] || fail "the node is not idle after start"
    mkdir -p "$JOBS"
    PORTS="$(sed -n 's/^SlurmctldPort=//p; s/^SlurmdPort=//p' "$SLURM_CONF" | tr '\n' /)"
    PORTS=${PORTS%/}
}

step_array_then_dependent() {
    local array dependent task
    array=$(submit --array=0-3%2 -o "$JOBS/array_%a.out" \
        --wrap 'begin=$(date +%s.%N); sleep 2; echo "$SLURM_ARRAY_TASK_ID $begin $(date +%s.%N)"')
    dependent=$(submit --dependency=afterok:"$array" -o "$JOBS/dependent.out" --wrap 'echo dependent ran')
    wait_done "$array" "$dependent"
    for task in 0 1 2 3; do
        expect_state "${array}_$task" COMPLETED
        [ "$(cut -d' ' -f1 "$JOBS/array_$task.out")" = "$task" ] || fail "array element $task wrote no output"
    done
    expect_state "$dependent" COMPLETED
    grep -qx 'dependent ran' "$JOBS/dependent.out" || fail "the dependent job wrote no output"
    # At most 2 elements ran at the same time (%2): count overlapping [begin, end) intervals.
    local most
    most=$(cat "$JOBS"/array_*.out | awk '{ print $2, 1; print $3, -1 }' | sort -k1,1g -k2,2n |
        awk '{ running += $2; if (running > most) most = running } END { print most }')
    [ "$most" -le 2 ] || fail "$most array elements ran at once under --array=...%2"
    say "array $array: 4 elements COMPLETED, at most $most at a time; afterok job $dependent COMPLETED"
}

step_failing_element_cancels_dependent() {
    local array dependent
    array=$(submit --array=0-1 -o "$JOBS/failing_%a.out" \
        --wrap 'if [ "$SLURM_ARRAY_TASK_ID" = 1 ]; then exit 1; fi; sleep 1')
    dependent=$(submit --dependency=afterok:"$array" -o "$JOBS/never.out" --wrap 'echo should not run')
    wait_done "$array" "$dependent"
    expect_state "${array}_0" COMPLETED
    expect_state "${array}_1" FAILED
    expect_state "$dependent" CANCELLED
    [ ! -s "$JOBS/never.out" ] || fail "the dependent job ran although element 1 failed"
    FAILED_JOB=$array
    say "array $array: element 1 FAILED; afterok job $dependent CANCELLED (kill_invalid_depend)"
}

step_scancel_one_element() {
    local array
    array=$(submit --array=0-2 -o "$JOBS/cancel_%a.out" --wrap 'sleep 4; echo done')
    wait_for_state "${array}_0" RUNNING
    scancel "${array}_0"
    wait_done "$array"
    expect_state "${array}_0" CANCELLED
    expect_state "${array}_1" COMPLETED
    expect_state "${array}_2" COMPLETED
    say "array $array: element 0 CANCELLED by scancel, elements 1 and 2 COMPLETED"
}

step_sacct_completion_log() {
    local listed
    listed=$(sacct -c -n -X -o JobID,State 2>/dev/null)
    grep -q FAILED <<<"$listed" || fail "sacct -c lists no FAILED job (jobcomp/filetxt)"
    grep -q "ArrayJobId=$FAILED_JOB ArrayTaskId=1 .*ExitCode=1:0" "$MOE_DATA_SLURM_DIR/log/jobcomp.txt" \
        || fail "jobcomp.txt has no line for element ${FAILED_JOB}_1 with exit code 1"
    say "sacct -c lists $(wc -l <<<"$listed") finished jobs; jobcomp.txt names array elements and exit codes"
}

step_stop() {
    "$SLURM_LOCAL" stop >/dev/null || fail "stop"
    "$SLURM_LOCAL" status >/dev/null && fail "status says it runs after stop"
    [ -z "$(ls -A "$MOE_DATA_SLURM_DIR/pids")" ] || fail "pid records left after stop"
    say "stopped; ports $PORTS free"
}

step_restart_and_run() {
    local ports_before=$PORTS job
    step_start
    [ "$PORTS" = "$ports_before" ] || fail "started again on ports $PORTS, not on the freed $ports_before"
    job=$(submit -o "$JOBS/after_restart.out" --wrap 'echo after restart')
    wait_done "$job"
    expect_state "$job" COMPLETED
    grep -qx 'after restart' "$JOBS/after_restart.out" || fail "the job after the restart wrote no output"
    say "started again on the same ports ($PORTS); job $job COMPLETED"
}

say "state folder $MOE_DATA_SLURM_DIR"
timed "start (fresh state folder)" step_start
say "$(grep -o 'runs: .*' "$MOE_DATA_SLURM_DIR/start.out")"
timed "--array=0-3%2 of sleep 2 + afterok job, submit to all done" step_array_then_dependent
timed "failing element: afterok job cancelled" step_failing_element_cancels_dependent
timed "scancel of one running element of --array=0-2 (sleep 4)" step_scancel_one_element
timed "sacct -c / jobcomp.txt" step_sacct_completion_log
timed "stop (daemons gone, ports free)" step_stop
timed "start again + one short job, submit to done" step_restart_and_run
timed "stop" step_stop
PASSED=1
say "all checks passed; times:"
printf '    %s\n' "${TIMINGS[@]}"
