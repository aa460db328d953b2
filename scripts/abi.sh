#!/usr/bin/env bash
# The C library's ABI against the baseline kept in the repository (abi/librootfsctl.so.0.abi,
# abidw's description of every exported function and the types they reach), with
# abigail-tools:
#   abi.sh check LIBRARY [BASELINE]   abidiff BASELINE LIBRARY: fails on any change, added
#                                     functions included, so every ABI change is a visible
#                                     edit of the baseline (docs/stability.md)
#   abi.sh update LIBRARY             rewrites the baseline from LIBRARY (an intended change)
# LIBRARY is a RelWithDebInfo build's librootfsctl.so.0 (abidw reads its DWARF). Only types
# reachable from the exported functions and declared in include/rootfsctl count (the C++
# inside is not the ABI: 12 KB of baseline instead of 14 MB), and locations are left out
# so that moving a declaration is not a change.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
headers=$root/include/rootfsctl
baseline=$root/abi/librootfsctl.so.0.abi

case "${1:-}" in
  check)
    lib=$2
    base=${3:-$baseline}
    status=0
    abidiff --exported-interfaces-only --drop-private-types --headers-dir2 "$headers" \
      "$base" "$lib" || status=$?
    if ((status != 0)); then
      echo "abi.sh: librootfsctl's ABI differs from $base (abidiff status $status)." >&2
      echo "abi.sh: if the change is intended, run: bash scripts/abi.sh update $lib" >&2
      exit 1
    fi
    echo "abi.sh: $(basename "$lib") matches $(basename "$base")"
    ;;
  update)
    abidw --exported-interfaces-only --headers-dir "$headers" --drop-private-types \
      --no-corpus-path --no-comp-dir-path --no-show-locs --out-file "$baseline" "$2"
    echo "abi.sh: wrote $baseline"
    ;;
  *)
    echo "usage: abi.sh check LIBRARY [BASELINE] | abi.sh update LIBRARY" >&2
    exit 2
    ;;
esac
