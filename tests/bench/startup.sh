#!/usr/bin/env bash
# Whole-process start-up, side by side in one interleaved run (issue 7):
#   floor      build/tests/bench/bench_floor: the sandbox layout's syscalls, nothing else
#   rootfsctl  rootfsctl run sandbox -- /usr/bin/true
#   bwrap      bubblewrap with the equivalent command line
# As root. RUNS (default 200) rounds after 10 warm-up rounds; prints medians and ratios
# to the floor. BUILD (default build) is the build directory.
#   bash tests/bench/startup.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
runs=${RUNS:-200}
bench=$build/tests/bench

command -v bwrap >/dev/null || { echo "startup.sh: bwrap missing (scripts/deps.sh installs it)" >&2; exit 2; }
for f in "$bench/bench_floor" "$bench/bench_startup" "$build/src/rootfsctl"; do
  [[ -x $f ]] || { echo "startup.sh: $f missing: bash scripts/build.sh" >&2; exit 2; }
done

# What manifests/sandbox.yaml and `run` do, in bubblewrap's words: --cap-drop ALL because
# run drops every capability by default (bubblewrap sets no_new_privs itself).
bwrap_sandbox=(bwrap --unshare-pid --unshare-ipc --cap-drop ALL
  --tmpfs / --ro-bind /usr /usr
  --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64
  --symlink usr/sbin /sbin
  --proc /proc --dev /dev --mqueue /dev/mqueue --tmpfs /tmp)

echo "# $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg), $runs rounds"
exec "$bench/bench_startup" --runs "$runs" --warmup 10 "$@" \
  floor -- "$bench/bench_floor" /usr/bin/true ::: \
  rootfsctl -- "$build/src/rootfsctl" run sandbox -- /usr/bin/true ::: \
  bwrap -- "$(command -v bwrap)" "${bwrap_sandbox[@]:1}" /usr/bin/true
