#!/usr/bin/env bash
# CI's fuzzing step: every libFuzzer harness for 20 s from the seed corpora (bench/fuzz/run.sh).
# Fails when a harness finds a crash; the input is kept under .build/fuzz/crashes/.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/run.sh" --seconds "${FUZZ_SECONDS:-20}" "$@"
