#!/usr/bin/env bash
# `cmake --install` into a scratch prefix, then use what was installed the way a user
# would: the binary finds its bundled profiles, the man pages render, and a separate
# project builds against the library twice (find_package and pkg-config) and plans the
# bundled sandbox layout exactly as the installed binary does.
#
# usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d /tmp/rootfsctl-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || {
  cat "$work/install.log" >&2
  fail "cmake --install"
}

# 1. Everything in its place.
libdir=$(sed -n 's/^libdir=${prefix}\///p' "$build/rootfsctl.pc")
for f in bin/rootfsctl share/rootfsctl/profiles/sandbox.yaml share/rootfsctl/layout.schema.json \
         share/man/man1/rootfsctl.1 share/man/man5/rootfsctl-layout.5 \
         share/bash-completion/completions/rootfsctl share/zsh/site-functions/_rootfsctl \
         include/rootfsctl/plan/planner.h include/rootfsctl/core/error.h \
         "$libdir/librootfsctl_plan.a" "$libdir/cmake/rootfsctl/rootfsctlConfig.cmake" \
         "$libdir/cmake/rootfsctl/rootfsctlTargets.cmake" "$libdir/pkgconfig/rootfsctl.pc"; do
  [[ -e $prefix/$f ]] || fail "not installed: $f"
done
[[ ! -e $prefix/include/rootfsctl/cli ]] || fail "the command line's headers were installed"
# The C library (docs/library.md; tests/capi uses it from C, Python and Go).
for f in "$libdir/librootfsctl.so.0" "$libdir/librootfsctl.so" include/rootfsctl/rootfsctl.h \
         "$libdir/pkgconfig/rootfsctl-c.pc" "$libdir/cmake/rootfsctl-c/rootfsctl-cConfig.cmake"; do
  [[ -e $prefix/$f ]] || fail "not installed: $f"
done
for f in share/doc/rootfsctl/LICENSE share/doc/rootfsctl/README.md share/doc/rootfsctl/CHANGELOG.md \
         share/doc/rootfsctl/docs/stability.md; do
  [[ -e $prefix/$f ]] || fail "not installed: $f"
done
for f in exec/exec_state.h mountinfo/table_impl.h layout/checks.h layout/fields.h; do
  [[ ! -e $prefix/include/rootfsctl/$f ]] || fail "an internal header was installed: $f"
done
# Every installed header compiles on its own as <rootfsctl/...> (the consumer's flags,
# nothing else), and none of them reaches another by a path a consumer's -I could answer.
for h in $(cd "$prefix/include/rootfsctl" && find . -name '*.h' | sort); do
  echo "#include <rootfsctl/${h#./}>" | c++ -std=c++23 -fsyntax-only -I"$prefix/include" \
    -x c++ - 2>"$work/header.log" || { cat "$work/header.log" >&2; fail "$h does not compile alone"; }
done
if grep -rnE '#include "(core|mountinfo|layout|plan|exec|render|oci)/' "$prefix/include/rootfsctl"; then
  fail "an installed header includes a module path that a consumer's own headers could shadow"
fi
cmp -s "$prefix/share/rootfsctl/layout.schema.json" "$source/schemas/layout.schema.json" ||
  fail "installed schema differs from schemas/layout.schema.json"
"$prefix/bin/rootfsctl" schema | cmp -s - "$prefix/share/rootfsctl/layout.schema.json" ||
  fail "rootfsctl schema differs from the installed schema"

# 2. The installed binary finds the installed profiles: with the source tree's manifests/
# out of reach (a copy of the binary elsewhere would still find them by the baked-in
# path, so look at which file each name resolved to).
rootfsctl=$prefix/bin/rootfsctl
env -u ROOTFSCTL_PATH HOME="$work" XDG_CONFIG_HOME="$work/xdg" \
  "$rootfsctl" profiles list --format json >"$work/profiles.json"
python3 - "$work/profiles.json" "$prefix/share/rootfsctl/profiles" "$source/manifests" <<'PY'
import json, os, sys
profiles = json.load(open(sys.argv[1]))["profiles"]
installed, manifests = sys.argv[2], sys.argv[3]
names = {p["name"]: p["path"] for p in profiles}
want = sorted(f[:-5] for f in os.listdir(manifests) if f.endswith(".yaml"))
missing = [n for n in want if n not in names]
assert not missing, f"profiles not listed: {missing}"
wrong = {n: names[n] for n in want if os.path.dirname(names[n]) != installed}
# /usr/local/share/rootfsctl/profiles (the configured prefix) comes first when it exists.
configured = "/usr/local/share/rootfsctl/profiles"
wrong = {n: p for n, p in wrong.items() if os.path.dirname(p) != configured}
assert not wrong, f"profiles resolved outside the installed tree: {wrong}"
print(f"install: {len(want)} profiles found in the installed tree")
PY

# 3. The man pages render without warnings.
for page in man1/rootfsctl.1 man5/rootfsctl-layout.5; do
  warnings=$(MANWIDTH=80 man --warnings -l "$prefix/share/man/$page" 2>&1 >/dev/null)
  [[ -z $warnings ]] || fail "man -l $page: $warnings"
done

# 4. A consumer project: find_package(rootfsctl) and rootfsctl::rootfsctl.
want=$(python3 - "$rootfsctl" <<'PY'
import json, subprocess, sys
plan = json.loads(subprocess.run([sys.argv[1], "plan", "sandbox", "--mountinfo", "/proc/self/mountinfo",
                                  "--format", "json"], capture_output=True).stdout)
ops = plan["ops"]
pivots = any(op["op"] == "pivot_root" for op in ops)
print(f"ops {len(ops)} first {ops[0]['op']} last {ops[-1]['op']} pivots {'yes' if pivots else 'no'}")
PY
)
cmake -S "$source/tests/install/consumer" -B "$work/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" >"$work/consumer.log" 2>&1 || {
  cat "$work/consumer.log" >&2
  fail "configure the find_package consumer"
}
cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1 || {
  cat "$work/consumer.log" >&2
  fail "build the find_package consumer"
}
got=$("$work/consumer/consumer" "$prefix/share/rootfsctl/profiles/sandbox.yaml")
[[ $got == "$want" ]] || fail "find_package consumer says '$got', rootfsctl plan says '$want'"
echo "install: find_package consumer: $got"

# 5. The same program built with pkg-config alone.
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
# shellcheck disable=SC2046  # the flags are words
g++ -I"$source/tests/install/consumer" "$source/tests/install/consumer/consumer.cc" \
  -o "$work/consumer-pc" $(pkg-config --cflags --libs rootfsctl) || fail "build with pkg-config --cflags --libs rootfsctl"
got=$("$work/consumer-pc" "$prefix/share/rootfsctl/profiles/sandbox.yaml")
[[ $got == "$want" ]] || fail "pkg-config consumer says '$got', rootfsctl plan says '$want'"
echo "install: pkg-config consumer: $got"
echo "install: ok"
