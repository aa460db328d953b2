#!/usr/bin/env bash
# Installs, builds and runs every test, in three builds (privileged tests run for real as
# root):
#   1. build/       the normal build: unit tests, the schema check with an independent
#                   validator, the end-to-end tests;
#   2. build-asan/  the same tree and tests under ASan+UBSan (scripts/sanitize.sh);
#   3. build-fuzz/  the libFuzzer targets, each run for FUZZ_SECONDS (default 60) seeded
#                   from tests/data (scripts/fuzz.sh).
# Each phase's wall time is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

timings=()
phase() {
  local name=$1 start=$SECONDS
  shift
  echo "=== $name" >&2
  "$@"
  timings+=("$(printf '%-26s %4d s' "$name" $((SECONDS - start)))")
}
normal_tests() {
  bash scripts/build.sh
  (cd build && ctest --output-on-failure -j "${JOBS:-2}" --timeout 900)
}

phase "deps" bash scripts/deps.sh
phase "build + ctest" normal_tests
phase "asan,ubsan build + ctest" bash scripts/sanitize.sh
phase "fuzz build + run" bash scripts/fuzz.sh
echo "=== wall time per phase" >&2
printf '%s\n' "${timings[@]}" >&2
