#!/usr/bin/env bash
# Builds the whole tree with AddressSanitizer and UndefinedBehaviorSanitizer (g++, build
# dir build-asan: the libraries, the rootfsctl binary, the unit and the e2e tests) and runs
# every test there. The e2e tests run the sanitized binary, since they get it through
# $<TARGET_FILE:rootfsctl>; the runtime options they run with are set in
# cmake/sanitizers.cmake. Undefined behaviour aborts the process, so it fails its test.
#
# -O0 with assertions on: sanitizer reports want frames and checks, not speed, and -O0
# compiles in half the time -O1 takes (this build is CI's longest step), while the tests,
# mostly waiting on processes and syscalls, run about as fast.
set -euo pipefail
cd "$(dirname "$0")/.."

werror=OFF
[[ -n "${CI:-}" ]] && werror=ON
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O0" \
  -DROOTFSCTL_SANITIZE=address,undefined -DROOTFSCTL_BUILD_BENCH=OFF \
  -DROOTFSCTL_WERROR="${ROOTFSCTL_WERROR:-$werror}" >/dev/null
cmake --build build-asan -j "${JOBS:-2}"
cd build-asan
ctest --output-on-failure -j "${JOBS:-2}" --timeout 900
