#!/usr/bin/env bash
# Whole-process start-up, side by side in one interleaved run (issues 7 and 19):
#   floor      build/tests/bench/bench_floor: the sandbox layout's syscalls, nothing else
#   hit        rootfsctl run sandbox -- /usr/bin/true, the compiled layout in the cache
#   miss       the same with an empty cache directory each time (loads, then stores)
#   no-cache   the same with --no-cache (loads, stores nothing)
#   bwrap      bubblewrap with the equivalent command line
# As root. RUNS (default 200) rounds after 10 warm-up rounds; prints medians, ratios to
# the floor and to bubblewrap, and peak memory. BUILD (default build) is the build
# directory; BEFORE=/path/to/an/older/rootfsctl adds it as "before" (without the cache
# options it may not know). The cache lives in a temporary directory, never root's.
# bench_startup drops each binary from the page cache before the warm-up, so all of them
# are read back the same way (--keep-page-cache, passed through, keeps them as they are).
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

cache=$(mktemp -d /tmp/startup-cache-XXXXXX)
trap 'rm -rf "$cache"' EXIT
export ROOTFSCTL_CACHE_DIR=$cache
unset ROOTFSCTL_NO_CACHE
rootfsctl=$(realpath "$build/src/rootfsctl")
before=()
[[ -n ${BEFORE:-} ]] && before=(before -- "$BEFORE" run sandbox -- /usr/bin/true :::)

echo "# $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg), $runs rounds"
"$bench/bench_startup" --runs "$runs" --warmup 10 "$@" \
  floor -- "$bench/bench_floor" /usr/bin/true ::: \
  hit -- "$rootfsctl" run sandbox -- /usr/bin/true ::: \
  miss --fresh-dir ROOTFSCTL_CACHE_DIR -- "$rootfsctl" run sandbox -- /usr/bin/true ::: \
  no-cache -- "$rootfsctl" run --no-cache sandbox -- /usr/bin/true ::: \
  "${before[@]}" \
  bwrap -- "$(command -v bwrap)" "${bwrap_sandbox[@]:1}" /usr/bin/true
