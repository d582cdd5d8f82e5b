#!/usr/bin/env bash
# Installs the Debian ThreadSanitizer lane (rustc-web 1.96 with its exact std source and LLVM's
# TSan runtime) so `contend tsan` can rebuild std with instrumentation. Needs root and apt.
set -euo pipefail

if [ ! -x /usr/bin/rustc ] || [ ! -d /usr/lib/rustlib/src/rust/library ] \
   || [ ! -f /usr/lib/llvm-22/lib/clang/22/lib/linux/libclang_rt.tsan-x86_64.a ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc-web cargo-web rust-web-src libclang-rt-22-dev
fi
rt=/usr/lib/rustlib/x86_64-unknown-linux-gnu/lib/librustc-stable_rt.tsan.a
if [ ! -f "$rt" ]; then
  cp /usr/lib/llvm-22/lib/clang/22/lib/linux/libclang_rt.tsan-x86_64.a "$rt"
fi
