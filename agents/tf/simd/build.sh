#!/usr/bin/env bash
# Rebuilds kernels.wasm from convs.c, matmul.c and optim.c. Needs clang and wasm-ld with the wasm32
# target (Debian: apt-get install clang-14 lld-14). The module imports its memory,
# shared (the wasm backend's heap, which wasm_loader.ts makes shared so that worker
# threads run these kernels on it too), and must use no stack or static data: the
# checks below fail the build if the code touches the stack pointer (global 0) or
# the module has a data section.
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-14}
OUT=${1:-kernels.wasm}
"$CLANG" --target=wasm32 -O3 -msimd128 -mbulk-memory -matomics -nostdlib \
  -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=4294967296 -Wl,--strip-all \
  -o "$OUT" convs.c matmul.c optim.c
# objdump's output is read whole: `grep -q` on a pipe would stop it early, and pipefail would hide the match.
code=$("${OBJDUMP:-llvm-objdump-14}" -d "$OUT")
sections=$("${OBJDUMP:-llvm-objdump-14}" -h "$OUT")
if grep -q 'global\.[gs]et' <<<"$code"; then
  echo "build.sh: $OUT uses the stack (global.get/set); keep every buffer in the caller's memory" >&2
  exit 1
fi
if grep -qw DATA <<<"$sections"; then
  echo "build.sh: $OUT has static data, which would overwrite the imported memory; keep every buffer in the caller's memory" >&2
  exit 1
fi
