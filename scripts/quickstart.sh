#!/usr/bin/env bash
# The main job on the bundled default profile: install, build, then plan the sandbox
# layout against this machine and show the resulting tree, the ops and the lint.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
bash scripts/build.sh
echo
echo "== rootfsctl plan sandbox --format tree"
./build/src/rootfsctl plan sandbox --format tree
echo
echo "== rootfsctl plan sandbox"
./build/src/rootfsctl plan sandbox
