#!/usr/bin/env bash
# Rebuilds rays.wasm from rays.c. Needs clang and wasm-ld with the wasm32 target (Debian:
# apt-get install clang-14 lld-14). The module imports its memory (the ray caster's, see
# ../kernels.ts, one page or more) and must use no stack or static data: bin/check-wasm-memory.sh
# fails the build if the code touches the stack pointer (global 0) or the module has a data section.
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-14}
OUT=${1:-rays.wasm}
"$CLANG" --target=wasm32 -O3 -nostdlib -Wl,--no-entry -Wl,--import-memory -Wl,-z,stack-size=0 -Wl,--initial-memory=65536 -Wl,--strip-all \
  -Wl,--export=nearest_object -Wl,--export=first_hit -Wl,--export=first_plane_hit -Wl,--export=intersect_ray -Wl,--export=reaches_point -Wl,--export=finish_pixels -Wl,--export=sky_pass \
  -o "$OUT" rays.c
../../../../bin/check-wasm-memory.sh "$OUT"
