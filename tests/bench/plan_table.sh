#!/usr/bin/env bash
# Whole-process `rootfsctl plan` of a one-entry layout against an ENTRIES-line mount table
# (default 20000) next to libmount parsing the same file (tests/bench/libmount_parse.c),
# interleaved in one run; prints medians and the ratio. Unprivileged.
#   bash tests/bench/plan_table.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
runs=${RUNS:-100}
entries=${ENTRIES:-20000}
bench=$build/tests/bench
for f in "$bench/bench_libmount_parse" "$bench/bench_startup" "$build/src/rootfsctl"; do
  [[ -x $f ]] || { echo "plan_table.sh: $f missing: bash scripts/build.sh" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A host-like table: one root, the rest tmpfs mounts in directories of 100.
{
  echo "1 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw"
  for ((i = 2; i <= entries; i++)); do
    echo "$i 1 0:$((i % 200 + 30)) / /mnt/c$((i / 100))/m$i rw,nosuid,nodev,relatime shared:$i - tmpfs tmpfs rw,size=1024k,mode=755"
  done
} >"$work/mountinfo"
printf 'version: 1\nmounts:\n  - tmpfs: /tmp\n' >"$work/tiny.yaml"
echo "# $(nproc) CPUs, $(uname -r), $entries entries, $runs rounds"
exec "$bench/bench_startup" --runs "$runs" --warmup 5 "$@" \
  libmount -- "$bench/bench_libmount_parse" "$work/mountinfo" ::: \
  rootfsctl -- "$build/src/rootfsctl" plan "$work/tiny.yaml" --mountinfo "$work/mountinfo"
