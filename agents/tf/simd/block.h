/*
 * A 4x8 block of a matrix product held in 8 SIMD registers, shared by convs.c and
 * matmul.c: c_ij += a_i b_j for 4 scalars a_i and 8 floats b_j (two vectors).
 * Eight register accumulators, two vector loads and four broadcasts per step keep
 * V8's x64 code within its 16 vector registers.
 */
#ifndef RAD_BLOCK_H
#define RAD_BLOCK_H
#include <wasm_simd128.h>

#define ZERO_4X8 \
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;

/*
 * acc + x y. With MADD, one relaxed-SIMD multiply-add (fused where the CPU has FMA):
 * clang-14 knows only the proposal's early f32x4.fma (acc + x y, operands acc, x, y),
 * so the C passes x, y, acc and build.sh rewrites the opcode to the final
 * f32x4.relaxed_madd (x y + acc, operands x, y, acc).
 */
#ifdef MADD
#define MUL_ADD(acc, x, y) __builtin_wasm_fma_f32x4((x), (y), (acc))
#else
#define MUL_ADD(acc, x, y) wasm_f32x4_add((acc), wasm_f32x4_mul((x), (y)))
#endif

/* One term: a0..a3 are broadcast vectors, b0 and b1 the 8 floats of the row of b. */
#define STEP_4X8(a0, a1, a2, a3, b0, b1) { \
  v128_t x0 = (a0), x1 = (a1), x2 = (a2), x3 = (a3), y0 = (b0), y1 = (b1); \
  c00 = MUL_ADD(c00, x0, y0); c01 = MUL_ADD(c01, x0, y1); \
  c10 = MUL_ADD(c10, x1, y0); c11 = MUL_ADD(c11, x1, y1); \
  c20 = MUL_ADD(c20, x2, y0); c21 = MUL_ADD(c21, x2, y1); \
  c30 = MUL_ADD(c30, x3, y0); c31 = MUL_ADD(c31, x3, y1); }

/* Adds what is at c (rows ldc apart) into the block. */
#define LOAD_ADD_4X8(c, ldc) { \
  c00 = wasm_f32x4_add(c00, wasm_v128_load((c))); c01 = wasm_f32x4_add(c01, wasm_v128_load((c) + 4)); \
  c10 = wasm_f32x4_add(c10, wasm_v128_load((c) + (ldc))); c11 = wasm_f32x4_add(c11, wasm_v128_load((c) + (ldc) + 4)); \
  c20 = wasm_f32x4_add(c20, wasm_v128_load((c) + 2 * (ldc))); c21 = wasm_f32x4_add(c21, wasm_v128_load((c) + 2 * (ldc) + 4)); \
  c30 = wasm_f32x4_add(c30, wasm_v128_load((c) + 3 * (ldc))); c31 = wasm_f32x4_add(c31, wasm_v128_load((c) + 3 * (ldc) + 4)); }

/* Stores the block at c (rows ldc apart). */
#define STORE_4X8(c, ldc) { \
  wasm_v128_store((c), c00); wasm_v128_store((c) + 4, c01); \
  wasm_v128_store((c) + (ldc), c10); wasm_v128_store((c) + (ldc) + 4, c11); \
  wasm_v128_store((c) + 2 * (ldc), c20); wasm_v128_store((c) + 2 * (ldc) + 4, c21); \
  wasm_v128_store((c) + 3 * (ldc), c30); wasm_v128_store((c) + 3 * (ldc) + 4, c31); }

#endif
