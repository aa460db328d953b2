#!/usr/bin/env bash
# Installs, builds and runs every test: unit tests, the schema check with an independent
# validator, and the end-to-end tests (privileged ones run for real as root).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
bash scripts/build.sh
cd build
ctest --output-on-failure -j "${JOBS:-2}" --timeout 900
