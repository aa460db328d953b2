#!/usr/bin/env bash
# Configures and builds rootfsctl into build/ (Ninja, ccache when present, -j2: the
# machines this runs on have two cores). Warnings are errors when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."

werror=OFF
[[ -n "${CI:-}" ]] && werror=ON
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DROOTFSCTL_WERROR="${ROOTFSCTL_WERROR:-$werror}" >/dev/null
cmake --build build -j "${JOBS:-2}"
