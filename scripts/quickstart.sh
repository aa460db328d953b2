#!/usr/bin/env bash
# The main job on the bundled default: installs what building the binary needs, builds only
# the binary, and assembles a root for real: `rootfsctl run` of the bundled sandbox profile
# prints the mount table from inside it, then the plan that made it. The tests and their
# heavier dependencies are scripts/test.sh's.
# BUILD_DIR overrides the build directory (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh --build
bash scripts/build.sh --binary-only
dir=${BUILD_DIR:-build}
[[ "$dir" == /* ]] || dir=./$dir
rootfsctl=$dir/src/rootfsctl
echo
echo "== rootfsctl run sandbox -- findmnt        (the tree, seen from inside the sandbox)"
"$rootfsctl" run sandbox -- findmnt -o TARGET,SOURCE,FSTYPE,OPTIONS
echo
echo "== rootfsctl plan sandbox --format tree    (what the layout asked for)"
"$rootfsctl" plan sandbox --format tree
