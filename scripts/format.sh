#!/usr/bin/env bash
# Formats the C and C++ sources with Debian 12's clang-format 14 and the repository's
# .clang-format; with --check, changes nothing and fails listing the files that differ
# (CI runs that as the `format` test).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(clang-format --version)
if [[ $version != *" 14."* ]]; then
  echo "format.sh: want clang-format 14 (Debian 12's), found: $version" >&2
  exit 2
fi
mapfile -t files < <(git ls-files '*.cc' '*.h' '*.c')
if [[ "${1:-}" == "--check" ]]; then
  differ=()
  for f in "${files[@]}"; do
    clang-format "$f" | cmp -s - "$f" || differ+=("$f")
  done
  if ((${#differ[@]})); then
    printf 'format.sh: not formatted (run bash scripts/format.sh): %s\n' "${differ[@]}" >&2
    exit 1
  fi
  echo "format.sh: ${#files[@]} files formatted"
else
  clang-format -i "${files[@]}"
fi
