#!/usr/bin/env bash
# Fails unless the wasm module $1 keeps nothing in the memory it imports: no stack (its code
# never reads or writes global 0, the stack pointer) and no static data (no data section).
# The project's kernels (agents/tf/simd, envs/dmc/render/kernels) run on memory their callers
# lay out. Their build scripts call this.
set -euo pipefail
OBJDUMP=${OBJDUMP:-llvm-objdump-14}
code=$("$OBJDUMP" -d "$1")
sections=$("$OBJDUMP" -h "$1")
if grep -q 'global\.[gs]et' <<<"$code"; then
  echo "$1 uses the stack (global.get/set); keep every buffer in the caller's memory" >&2
  exit 1
fi
if grep -qw DATA <<<"$sections"; then
  echo "$1 has static data, which would overwrite the imported memory; keep every buffer in the caller's memory" >&2
  exit 1
fi
