#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang-19, ASan+UBSan, build dir build-fuzz) and
# runs each for a bounded time, seeded from tests/data, the bundled manifests and the kept
# regressions. One summary line per target:
#
#   fuzz layout: 1234567 runs in 61 s, no crash (corpus 412 inputs)
#
# A crash, hang, leak, sanitizer report or broken property (tests/fuzz/fuzz_entries.cc)
# fails that target: its input is kept under build-fuzz/fuzz/artifacts/<target>/ and the
# script exits 1 once every target has run. Such an input belongs in
# tests/data/fuzz-regressions/<target>/, where the unit tests replay it.
#
# Environment: FUZZ_SECONDS per target (default 60), FUZZ_TARGETS (default
# "layout mountinfo plan"), FUZZ_MAX_LEN (default 16384 bytes), JOBS for the build, and
# FUZZ_KEEP_CORPUS=1 to go on from the inputs earlier runs found (by default each run
# starts from the seeds alone, so its start-up time and its figures stay comparable).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
max_len=${FUZZ_MAX_LEN:-16384}
read -r -a targets <<<"${FUZZ_TARGETS:-layout mountinfo plan}"
build=build-fuzz
work=$build/fuzz

# 1. Build: only the fuzz targets and the libraries they need, all instrumented.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-19 -DROOTFSCTL_FUZZ=ON \
  -DROOTFSCTL_BUILD_TESTS=OFF -DROOTFSCTL_BUILD_BENCH=OFF \
  -DROOTFSCTL_WERROR="${ROOTFSCTL_WERROR:-$([[ -n ${CI:-} ]] && echo ON || echo OFF)}" >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target fuzzers

# 2. Seeds. libFuzzer reads every directory after the first without writing to it, so the
# seeds are used where they are; only the live mount table is captured into a file.
layout_seeds=(tests/data/valid tests/data/invalid tests/data/semantic tests/data/live
              tests/data/profiles manifests)
mkdir -p "$work/seeds/mountinfo"
cp /proc/self/mountinfo "$work/seeds/mountinfo/self.txt"
seeds_for() {
  case $1 in
    layout | plan) printf '%s\n' "${layout_seeds[@]}" ;;
    mountinfo) printf '%s\n' tests/data/mountinfo "$work/seeds/mountinfo" ;;
  esac
  echo "tests/data/fuzz-regressions/$1"
}
dict_for() {
  case $1 in
    layout | plan) echo tests/fuzz/layout.dict ;;
    mountinfo) echo tests/fuzz/mountinfo.dict ;;
  esac
}

[[ ${FUZZ_KEEP_CORPUS:-0} == 1 ]] || rm -rf "$work/corpus"
rm -rf "$work/artifacts"

# 3. Run the targets side by side (bounded by time, so a third process on two cores costs
# executions, not wall time); the first directory is each one's corpus, kept between runs.
run_target() {
  local target=$1 corpus=$work/corpus/$1 artifacts=$work/artifacts/$1/ dirs=() dir
  mkdir -p "$corpus" "$artifacts"
  while read -r dir; do [[ -d $dir ]] && dirs+=("$dir"); done < <(seeds_for "$target")
  "$build/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len="$max_len" \
    -timeout=10 -rss_limit_mb=2048 -dict="$(dict_for "$target")" \
    -artifact_prefix="$artifacts" -print_final_stats=1 \
    "$corpus" "${dirs[@]}" >"$work/$target.log" 2>&1
}
declare -A pids
for target in "${targets[@]}"; do
  run_target "$target" &
  pids[$target]=$!
done

failed=0
for target in "${targets[@]}"; do
  status=0
  wait "${pids[$target]}" || status=$?
  log=$work/$target.log
  # libFuzzer's last word on a clean stop: "Done 1234567 runs in 61 second(s)".
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)
  inputs=$(find "$work/corpus/$target" -type f | wc -l)
  if ((status == 0)) && [[ -n $done_line ]]; then
    read -r _ runs _ _ secs _ <<<"$done_line"
    echo "fuzz $target: $runs runs in $secs s, no crash (corpus $inputs inputs)"
  else
    failed=1
    echo "fuzz $target: FAILED (exit $status); input kept in $work/artifacts/$target/, log $log:"
    grep -E 'ERROR|SUMMARY|violation|^  - |Test unit written|runtime error' "$log" | head -n 40 || true
  fi
done
exit "$failed"
