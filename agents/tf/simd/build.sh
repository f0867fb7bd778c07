#!/usr/bin/env bash
# Rebuilds kernels.wasm from convs.c, matmul.c and optim.c. Needs clang and wasm-ld with the wasm32
# target (Debian: apt-get install clang-14 lld-14). The module imports its memory,
# shared (the wasm backend's heap, which wasm_loader.ts makes shared so that worker
# threads run these kernels on it too), and must use no stack or static data:
# bin/check-wasm-memory.sh fails the build if the code touches the stack pointer
# (global 0) or the module has a data section.
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-14}
OUT=${1:-kernels.wasm}
"$CLANG" --target=wasm32 -O3 -msimd128 -mrelaxed-simd -DMADD -mbulk-memory -matomics -nostdlib \
  -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=4294967296 -Wl,--strip-all \
  -o "$OUT" convs.c matmul.c optim.c
# objdump's output is read whole: `grep -q` on a pipe would stop it early, and pipefail would hide the match.
code=$("${OBJDUMP:-llvm-objdump-14}" -d "$OUT")
# clang-14 emits the relaxed-SIMD proposal's early f32x4.fma (0xfd 0xaf 0x01: acc + x y, operands
# acc, x, y); block.h's MUL_ADD passes x, y, acc, so each becomes the final f32x4.relaxed_madd
# (0xfd 0x85 0x02: x y + acc), which V8 runs. Every byte match must be one of those instructions.
fmas=$(grep -c 'f32x4\.fma' <<<"$code" || true)
node -e '
  const fs = require("node:fs");
  const [file, expected] = process.argv.slice(1);
  const bytes = fs.readFileSync(file);
  const early = Buffer.from([0xfd, 0xaf, 0x01]);
  let count = 0;
  for (let at = bytes.indexOf(early); at >= 0; at = bytes.indexOf(early, at + 3)) {
    bytes[at + 1] = 0x85;
    bytes[at + 2] = 0x02;
    count++;
  }
  if (count !== Number(expected)) {
    console.error(`build.sh: ${count} byte matches of f32x4.fma in ${file}, but the disassembly has ${expected}`);
    process.exit(1);
  }
  fs.writeFileSync(file, bytes);
' "$OUT" "$fmas"
../../../bin/check-wasm-memory.sh "$OUT"
