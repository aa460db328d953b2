#!/usr/bin/env bash
# Whole-process `rootfsctl plan` of a SMALL-entry layout (default 2500) and of a LARGE one
# (default 25000), the same mix of entries, against one small table, interleaved in one
# run; prints medians and the large one's time as a ratio to the small one's (issue 19:
# at most 12x for 10x the entries). Offline (--mountinfo) and without the cache, so each
# run loads, plans and validates; the loader's limits are raised on the command line, as a
# user with a generated layout would. Unprivileged.
#   bash tests/bench/plan_scale.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
runs=${RUNS:-20}
small=${SMALL:-2500}
large=${LARGE:-25000}
bench=$build/tests/bench
for f in "$bench/bench_startup" "$build/src/rootfsctl"; do
  [[ -x $f ]] || { echo "plan_scale.sh: $f missing: bash scripts/build.sh" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "1 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw" >"$work/mountinfo"
# A tmpfs root and N entries in directories of 50: tmpfs mounts, directories, symlinks,
# files, read-only binds of /usr and device placeholders, in turn.
layout() {
  echo "version: 1"
  echo "root: { tmpfs: { size: 64M } }"
  echo "mounts:"
  for ((i = 0; i < $1; i++)); do
    local dir="/d$((i / 50))/e$i"
    case $((i % 6)) in
      0) echo "  - tmpfs: $dir" ;;
      1) echo "  - dir: $dir" ;;
      2) echo "  - symlink: $dir"; echo "    to: /usr/bin" ;;
      3) echo "  - file: $dir"; echo "    content: \"entry $i\\n\"" ;;
      4) echo "  - bind: $dir"; echo "    from: /usr"; echo "    readonly: true" ;;
      5) echo "  - device: $dir"; echo "    from: /dev/null" ;;
    esac
  done
}
layout "$small" >"$work/small.yaml"
layout "$large" >"$work/large.yaml"
limits=(--no-cache --max-layout-nodes 10000000 --max-layout-bytes 1073741824)
for size in small large; do  # each must plan without errors, or the timing means nothing
  "$build/src/rootfsctl" plan "$work/$size.yaml" --mountinfo "$work/mountinfo" "${limits[@]}" \
    --format json >/dev/null
done
echo "# $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)," \
  "$small and $large entries, $runs rounds"
exec "$bench/bench_startup" --runs "$runs" --warmup 2 "$@" \
  "plan-$small" -- "$build/src/rootfsctl" plan "$work/small.yaml" --mountinfo "$work/mountinfo" \
  "${limits[@]}" ::: \
  "plan-$large" -- "$build/src/rootfsctl" plan "$work/large.yaml" --mountinfo "$work/mountinfo" \
  "${limits[@]}"
