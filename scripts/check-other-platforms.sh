#!/usr/bin/env bash
# Checks that the whole workspace (tests included) compiles for Windows, macOS and aarch64 Linux on
# an x86_64 Linux machine without those targets' std: Debian's rustc-web rebuilds std for each
# target from its source (`-Zbuild-std`, as the Debian ThreadSanitizer lane does) and `cargo check`
# type-checks everything without linking. Windows uses mingw-w64 for the C in dependencies
# (SQLite); for macOS and aarch64, where no cross C compiler is at hand, a stand-in writes empty
# objects, so only the Rust code is checked there. Nothing is run: the GitHub workflow ci.yml runs
# the tests on macOS and Windows.
# Needs scripts/install-tsan-lane.sh's packages; installs mingw-w64 with apt when missing (root).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/cargo ] || [ ! -d /usr/lib/rustlib/src/rust/library ]; then
  echo "needs Debian's rustc-web, cargo-web and rust-web-src: run scripts/install-tsan-lane.sh" >&2
  exit 2
fi
if ! command -v x86_64-w64-mingw32-gcc >/dev/null || ! command -v x86_64-w64-mingw32-dlltool >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64
fi

target_dir=${CARGO_TARGET_DIR:-$PWD/target}/other-platforms
mkdir -p "$target_dir"
stand_in=$target_dir/stand-in-cc
cat > "$stand_in" <<'EOF'
#!/bin/sh
# Stands in for a cross C compiler in `cargo check`: cc-rs's compiler detection (-E) goes to the
# host cc, a compile writes an empty object where -o points (a check links nothing), anything else
# fails (so cc-rs does not take it for MSVC).
case "$1" in -E) exec cc "$@";; esac
out=""
while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift;; esac; shift; done
[ -n "$out" ] && exec cc -x c -c /dev/null -o "$out"
exit 1
EOF
chmod +x "$stand_in"

for target in x86_64-pc-windows-gnu x86_64-apple-darwin aarch64-unknown-linux-gnu; do
  echo "cargo check --workspace --all-targets --target $target"
  # Only the Debian toolchain: rustup's cargo/rustc (and their proxies' variables) stay out.
  # Warnings fail the check too (not through RUSTFLAGS, which would also apply to std).
  log=$target_dir/$target.log
  if ! env -u RUSTC -u RUSTDOC -u CARGO -u RUSTUP_TOOLCHAIN -u CARGO_BUILD_TARGET -u RUSTFLAGS \
    RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc \
    CC_x86_64_apple_darwin="$stand_in" AR_x86_64_apple_darwin=ar \
    CC_aarch64_unknown_linux_gnu="$stand_in" AR_aarch64_unknown_linux_gnu=ar \
    /usr/bin/cargo check -q -Zbuild-std=std,panic_abort --target "$target" \
    --workspace --all-targets --target-dir "$target_dir" >"$log" 2>&1 \
    || grep -q '^warning' "$log"; then
    cat "$log" >&2
    echo "$target: does not compile cleanly (log: $log)" >&2
    exit 1
  fi
done
echo "the workspace compiles for Windows, macOS and aarch64 Linux"
