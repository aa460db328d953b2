#!/usr/bin/env bash
# The ABI check (scripts/abi.sh) against the baseline in abi/: the library built here must
# match it, and a copy of that library with one function removed must fail the same check
# (abidiff reporting the removal as an incompatible change), so the check in CI is known to
# catch an accidental break.
#
# usage: abi_test.sh LIBRARY SOURCE_DIR
set -euo pipefail
lib=$1
source=$2
work=$(mktemp -d /tmp/rootfsctl-abi.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. The library matches the baseline.
bash "$source/scripts/abi.sh" check "$lib"

# 2. A copy without rootfsctl_capture does not: abidiff's status has bit 8 (an
# incompatible change) and names the function.
python3 "$source/tests/abi/remove_symbol.py" "$lib" rootfsctl_capture "$work/librootfsctl.so.0"
status=0
abidiff --exported-interfaces-only --drop-private-types --headers-dir2 "$source/include/rootfsctl" \
  "$source/abi/librootfsctl.so.0.abi" "$work/librootfsctl.so.0" >"$work/diff.txt" 2>&1 || status=$?
((status & 8)) || { cat "$work/diff.txt" >&2; fail "abidiff status $status: the removal was not an incompatible change"; }
grep -q "rootfsctl_capture" "$work/diff.txt" || { cat "$work/diff.txt" >&2; fail "the diff does not name rootfsctl_capture"; }
if bash "$source/scripts/abi.sh" check "$work/librootfsctl.so.0" >/dev/null 2>&1; then
  fail "scripts/abi.sh check passed a library without rootfsctl_capture"
fi
echo "abi: a copy without rootfsctl_capture fails the check (abidiff status $status)"
echo "abi: ok"
