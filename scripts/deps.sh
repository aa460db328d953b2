#!/usr/bin/env bash
# Installs every Debian 12 package rootfsctl needs to build and test; with --build, only
# what building the binary needs (scripts/quickstart.sh). Idempotent: when all are present
# it does not touch apt at all.
set -euo pipefail

build_packages=(
  g++ cmake ninja-build pkg-config ccache
  libyaml-cpp-dev libcxxopts-dev nlohmann-json3-dev libvalijson-dev
)
packages=(
  "${build_packages[@]}"
  # tests
  libgtest-dev libgmock-dev googletest libmount-dev libbenchmark-dev
  python3 python3-jsonschema python3-yaml util-linux mount busybox-static
  # OCI interop tests (tests/e2e/oci_test.py): a real runtime and jq for its state
  runc jq
  # rootfsctl as a podman container's createRuntime hook (tests/e2e/podman_test.py);
  # Debian 12's podman 4.3 (it brings conmon, crun and its storage tools along)
  podman
  # man pages and completions (tests/e2e/docs_test.py): man -l, groff -ww, and real shells
  man-db groff-base bash-completion zsh
  # the reference sandbox of the start-up benchmark (tests/bench/startup.sh) and of the
  # parity test (tests/e2e/parity_test.py), which runs `tty` in a tmux pane
  bubblewrap tmux
  # the format test (scripts/format.sh --check): Debian 12's clang-format is version 14
  clang-format git
  # the editor test (tests/editor): yaml-language-server runs on Node.js, from npm below
  nodejs
  # the C library (tests/capi, tests/abi): its Go proof program (cgo) and the ABI check
  # against abi/librootfsctl.so.0.abi (scripts/abi.sh: abidw, abidiff)
  golang-go abigail-tools
  # fuzzing (scripts/fuzz.sh): libFuzzer needs clang. Not clang-14: libstdc++ 12's
  # <expected> wants __cpp_concepts >= 202002L, which clang 14 (and 16) do not define.
  clang-19 libclang-rt-19-dev
)

if [[ "${1:-}" == "--build" ]]; then
  packages=("${build_packages[@]}")
fi

# npm tooling for the tests (tools/package.json, pinned by its lock file), after the
# Debian packages. Not for --build.
npm_tools() {
  [[ "${1:-}" == "--build" ]] && return 0
  local tools
  tools="$(dirname "$0")/../tools"
  [[ -x "$tools/node_modules/.bin/yaml-language-server" &&
     -f "$tools/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json" ]] &&
    return 0
  echo "deps: installing the npm tools (tools/package-lock.json)" >&2
  npm ci --prefix "$tools" --no-audit --no-fund >/dev/null
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  npm_tools "${1:-}"
  exit 0
fi
echo "deps: installing ${missing[*]}" >&2
if [[ $(id -u) -ne 0 ]]; then
  echo "deps: need root to install packages (or install them yourself: ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_tools "${1:-}"
