/*
 * C = A B for float32 matrices in any layout (each operand given by its row and
 * column strides, so transposed operands cost nothing), in WebAssembly SIMD: the
 * blocked scheme of Goto & van de Geijn ("Anatomy of High-Performance Matrix
 * Multiplication", ACM TOMS 2008) with a 4x8 register block. Per block of KC terms,
 * B is packed into panels of 8 columns and A, per block of MC rows, into groups of
 * 4 rows, so that the innermost loop reads both from the cache in order. Edges are
 * zero-padded in the packs. The sum for each element runs over k in order, in float32,
 * block after block: results are deterministic.
 * Built into the same module as convs.c (build.sh); no stack or static data.
 */
#include <wasm_simd128.h>
#include "block.h"

#define KC 256
#define MC 128

/* Floats of scratch memory `matmul` needs for these sizes. */
__attribute__((export_name("matmul_scratch_floats")))
int matmul_scratch_floats(int m, int n, int k) {
  int kc = k < KC ? k : KC;
  int mc = m < MC ? m : MC;
  return kc * (((n + 7) & ~7) + ((mc + 3) & ~3)) + 32;
}

/* The 4 x 8 block of C at c (row stride ldc) from packed a [kc][4] and b [kc][8]; only rows < rows, cols < cols are written. */
static void block_4x8(const float* a, const float* b, int kc, float* c, int ldc, int rows, int cols, int accumulate, float* edge) {
  ZERO_4X8
  for (int k = 0; k < kc; k++) {
    STEP_4X8(wasm_v128_load32_splat(a + 4 * k), wasm_v128_load32_splat(a + 4 * k + 1), wasm_v128_load32_splat(a + 4 * k + 2),
             wasm_v128_load32_splat(a + 4 * k + 3), wasm_v128_load(b + 8 * k), wasm_v128_load(b + 8 * k + 4))
  }
  if (rows == 4 && cols == 8) {
    if (accumulate) LOAD_ADD_4X8(c, ldc)
    STORE_4X8(c, ldc)
    return;
  }
  STORE_4X8(edge, 8)
  for (int i = 0; i < rows; i++) {
    for (int j = 0; j < cols; j++) c[i * ldc + j] = accumulate ? c[i * ldc + j] + edge[i * 8 + j] : edge[i * 8 + j];
  }
}

/*
 * Packs rows [k0, k0 + kc) of B (B(k, j) = b[k * b_row + j * b_col]) into panels of 8
 * columns, [n8 / 8][kc][8], zeros past column n. The loops follow whichever of B's
 * axes is contiguous, so the reads run in order.
 */
static void pack_b(const float* b, int b_row, int b_col, int k0, int kc, int n, float* packed) {
  int n8 = (n + 7) & ~7;
  if (b_col == 1) {
    /* Panel by panel, so that the writes run in order (rows of B are often 2^k floats apart). */
    int j0 = 0;
    for (; j0 + 8 <= n; j0 += 8) {
      float* panel = packed + j0 * kc;
      const float* source = b + k0 * b_row + j0;
      for (int kk = 0; kk < kc; kk++) {
        wasm_v128_store(panel + kk * 8, wasm_v128_load(source + kk * b_row));
        wasm_v128_store(panel + kk * 8 + 4, wasm_v128_load(source + kk * b_row + 4));
      }
    }
    for (; j0 < n8; j0 += 8) {
      float* panel = packed + j0 * kc;
      for (int kk = 0; kk < kc; kk++) {
        const float* row = b + (k0 + kk) * b_row;
        for (int j = 0; j < 8; j++) panel[kk * 8 + j] = j0 + j < n ? row[j0 + j] : 0;
      }
    }
  } else {
    for (int j0 = 0; j0 < n8; j0 += 8) {
      float* panel = packed + j0 * kc;
      for (int j = 0; j < 8; j++) {
        if (j0 + j < n) {
          const float* source = b + (j0 + j) * b_col + k0 * b_row;
          for (int kk = 0; kk < kc; kk++) panel[kk * 8 + j] = source[kk * b_row];
        } else {
          for (int kk = 0; kk < kc; kk++) panel[kk * 8 + j] = 0;
        }
      }
    }
  }
}

/* Packs rows [i0, i0 + mc) and columns [k0, k0 + kc) of A into groups of 4 rows, [mc4 / 4][kc][4], zeros past row m. */
static void pack_a(const float* a, int a_row, int a_col, int i0, int mc, int k0, int kc, int m, float* packed) {
  for (int g = 0; g < mc; g += 4) {
    float* group = packed + g * kc;
    int full = i0 + g + 4 <= m;
    if (a_row == 1 && full) {
      for (int kk = 0; kk < kc; kk++) wasm_v128_store(group + 4 * kk, wasm_v128_load(a + (k0 + kk) * a_col + i0 + g));
      continue;
    }
    for (int i = 0; i < 4; i++) {
      if (i0 + g + i < m) {
        const float* source = a + (i0 + g + i) * a_row + k0 * a_col;
        for (int kk = 0; kk < kc; kk++) group[kk * 4 + i] = source[kk * a_col];
      } else {
        for (int kk = 0; kk < kc; kk++) group[kk * 4 + i] = 0;
      }
    }
  }
}

/*
 * c [m][n] (rows ldc apart) = A B, with A(i, k) = a[i * a_row + k * a_col] and
 * B(k, j) = b[k * b_row + j * b_col]. With ldc > n, c is a block of columns of a
 * wider matrix (a product cut by columns over threads).
 */
__attribute__((export_name("matmul")))
void matmul(const float* a, int a_row, int a_col, const float* b, int b_row, int b_col, float* c, int ldc, int m, int n, int k, float* scratch) {
  int n8 = (n + 7) & ~7;
  int kc_max = k < KC ? k : KC;
  float* packed_b = scratch;                 /* [n8 / 8][kc][8] */
  float* packed_a = packed_b + kc_max * n8;  /* [mc / 4][kc][4] */
  float* edge = packed_a + kc_max * (((m < MC ? m : MC) + 3) & ~3);  /* 4 x 8 */
  if (k == 0) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) c[i * ldc + j] = 0;
    }
    return;
  }
  for (int k0 = 0; k0 < k; k0 += KC) {
    int kc = k - k0 < KC ? k - k0 : KC;
    pack_b(b, b_row, b_col, k0, kc, n, packed_b);
    for (int i0 = 0; i0 < m; i0 += MC) {
      int mc = m - i0 < MC ? m - i0 : MC;
      pack_a(a, a_row, a_col, i0, mc, k0, kc, m, packed_a);
      for (int j0 = 0; j0 < n8; j0 += 8) {
        int cols = n - j0 < 8 ? n - j0 : 8;
        for (int g = 0; g < mc; g += 4) {
          int rows = mc - g < 4 ? mc - g : 4;
          block_4x8(packed_a + g * kc, packed_b + j0 * kc, kc, c + (i0 + g) * ldc + j0, ldc, rows, cols, k0 > 0, edge);
        }
      }
    }
  }
}
