#!/usr/bin/env bash
# Configures and builds rootfsctl with its tests into build/ (Ninja, ccache when present,
# -j2: the machines this runs on have two cores). Warnings are errors when CI is set.
#   --binary-only   only the rootfsctl binary (scripts/quickstart.sh): no test or
#                   benchmark dependencies needed
# BUILD_DIR overrides the build directory.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${BUILD_DIR:-build}
tests=ON
target=()
if [[ "${1:-}" == "--binary-only" ]]; then
  tests=OFF
  target=(--target rootfsctl)
fi
# ccache (when present) leaves the build directory out of its hashes, so a compile that
# another build tree already made, with the same command, is a hit: e2e_readme builds the
# quickstart's binary into a tree of its own (scripts/quickstart.sh) right after this
# build, from the same sources with the same flags, and recompiled all of it (two minutes of
# CI's normal phase). Objects from the cache name the first tree in their debug info.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
werror=OFF
[[ -n "${CI:-}" ]] && werror=ON
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DROOTFSCTL_BUILD_TESTS="$tests" -DROOTFSCTL_BUILD_BENCH="$tests" \
  -DROOTFSCTL_WERROR="${ROOTFSCTL_WERROR:-$werror}" >/dev/null
cmake --build "$dir" -j "${JOBS:-2}" "${target[@]}"
