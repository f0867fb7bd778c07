/*
 * The project's conv kernels for tfjs's wasm backend, in WebAssembly SIMD
 * (agents/tf/simd_kernels.ts loads them). Tensors are NHWC float32 in the memory this
 * module imports (the backend's heap); the caller passes offsets. Nothing here uses
 * the stack or static data: every buffer is the caller's, so the imported memory is
 * only touched where told. Build: agents/tf/simd/build.sh (with matmul.c).
 *
 * Two ways to a conv, both on the same 4x8 register-blocked products:
 *
 * 1. Winograd F(4x4, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
 *    Networks", CVPR 2016) for stride-1 3x3 convs: 36 multiplications per 4x4 output
 *    patch and channel pair instead of 144, a quarter of the direct conv's
 *    multiply-adds, plus the transforms (about a third of the time). Input channels
 *    in multiples of 4, output channels in multiples of 8. Per 6x6 input patch d
 *    (stride 4) and 3x3 filter g, the 4x4 output patch is
 *      Y = A^T [(G g G^T) . (B^T d B)] A,
 *    with the matrices of the points 0, 1, -1, 2, -2 and infinity (section 4.2). The
 *    filter gradient follows from the same identity: dL/d(G g G^T) summed over the
 *    patches is sum (B^T d B) . (A dY A^T), and dL/dg = G^T [that] G.
 *
 * 2. Patches (im2col) for any other conv (the encoder's stride-2 first layer, 9
 *    input channels): each output pixel's receptive field, gathered into a row,
 *    times the filter as a [KH*KW*Ci, Co] matrix; the filter gradient is the
 *    product of the rows' transpose with dy. Output channels in multiples of 8.
 */
#include <wasm_simd128.h>
#include "block.h"

typedef v128_t V;
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define SPLAT wasm_f32x4_splat
#define LOAD wasm_v128_load
#define STORE wasm_v128_store

/* Patches per block: the transformed block stays in the L1/L2 cache between the passes. */
#define BLOCK 16
/*
 * Extra floats after each of the 36 rows of a block's buffers: with rows 2^k bytes
 * apart every row maps to the same few L1 sets, and the forward conv ran 1.5x slower.
 */
#define PAD 8

/* B^T times the 6-vector (d0..d5) of 4 channels, stored at q, q + s, ..., q + 5s. */
static inline void input_rows(float* q, int s, V d0, V d1, V d2, V d3, V d4, V d5) {
  STORE(q, ADD(SUB(MUL(SPLAT(4), d0), MUL(SPLAT(5), d2)), d4));
  STORE(q + s, SUB(ADD(d3, d4), MUL(SPLAT(4), ADD(d1, d2))));
  STORE(q + 2 * s, ADD(MUL(SPLAT(4), SUB(d1, d2)), SUB(d4, d3)));
  STORE(q + 3 * s, ADD(MUL(SPLAT(2), SUB(d3, d1)), SUB(d4, d2)));
  STORE(q + 4 * s, ADD(MUL(SPLAT(2), SUB(d1, d3)), SUB(d4, d2)));
  STORE(q + 5 * s, ADD(SUB(MUL(SPLAT(4), d1), MUL(SPLAT(5), d3)), d5));
}

/*
 * u[(6i + j) * us] = (B^T d B)[i][j] for the 6x6 patch of 4 channels whose corner is
 * image pixel (y0, x0); pixels outside the image read `zeros`.
 */
static void input_transform(const float* image, int h, int w, int ci, int y0, int x0, float* u, int us, const float* zeros) {
  for (int j = 0; j < 6; j++) {
    int x = x0 + j;
    int column_inside = x >= 0 && x < w;
    const float* p[6];
#pragma clang loop unroll(full)
    for (int i = 0; i < 6; i++) {
      int y = y0 + i;
      p[i] = column_inside && y >= 0 && y < h ? image + (y * w + x) * ci : zeros;
    }
    input_rows(u + j * us, 6 * us, LOAD(p[0]), LOAD(p[1]), LOAD(p[2]), LOAD(p[3]), LOAD(p[4]), LOAD(p[5]));
  }
  for (int i = 0; i < 6; i++) {
    float* r = u + 6 * i * us;
    input_rows(r, us, LOAD(r), LOAD(r + us), LOAD(r + 2 * us), LOAD(r + 3 * us), LOAD(r + 4 * us), LOAD(r + 5 * us));
  }
}

/* A^T times the 6-vector (m0..m5): 4 values. */
#define OUTPUT_ROWS(m0, m1, m2, m3, m4, m5, r0, r1, r2, r3) { \
  V sum12 = ADD(m1, m2), dif12 = SUB(m1, m2), sum34 = ADD(m3, m4), dif34 = SUB(m3, m4); \
  r0 = ADD(ADD(m0, sum12), sum34); \
  r1 = ADD(dif12, MUL(SPLAT(2), dif34)); \
  r2 = ADD(sum12, MUL(SPLAT(4), sum34)); \
  r3 = ADD(ADD(dif12, MUL(SPLAT(8), dif34)), m5); }

/*
 * The 4x4 output patch A^T m A (m[(6i + j) * ms], overwritten) of 4 channels, plus
 * bias, ReLU'd if asked, stored at output pixel (y0, x0) on; rows and columns past
 * the output's edge are dropped.
 */
static void output_transform(float* m, int ms, float* out, int oh, int ow, int co, int y0, int x0, V bias, int relu) {
  for (int j = 0; j < 6; j++) {
    float* c = m + j * ms;
    V r0, r1, r2, r3;
    OUTPUT_ROWS(LOAD(c), LOAD(c + 6 * ms), LOAD(c + 12 * ms), LOAD(c + 18 * ms), LOAD(c + 24 * ms), LOAD(c + 30 * ms), r0, r1, r2, r3);
    STORE(c, r0);
    STORE(c + 6 * ms, r1);
    STORE(c + 12 * ms, r2);
    STORE(c + 18 * ms, r3);
  }
  int rows = oh - y0 < 4 ? oh - y0 : 4;
  int cols = ow - x0 < 4 ? ow - x0 : 4;
  V zero = SPLAT(0);
  for (int i = 0; i < rows; i++) {
    float* r = m + 6 * i * ms;
    V v0, v1, v2, v3;
    OUTPUT_ROWS(LOAD(r), LOAD(r + ms), LOAD(r + 2 * ms), LOAD(r + 3 * ms), LOAD(r + 4 * ms), LOAD(r + 5 * ms), v0, v1, v2, v3);
    v0 = ADD(v0, bias);
    v1 = ADD(v1, bias);
    v2 = ADD(v2, bias);
    v3 = ADD(v3, bias);
    if (relu) {
      v0 = wasm_f32x4_max(v0, zero);
      v1 = wasm_f32x4_max(v1, zero);
      v2 = wasm_f32x4_max(v2, zero);
      v3 = wasm_f32x4_max(v3, zero);
    }
    float* o = out + ((y0 + i) * ow + x0) * co;
    STORE(o, v0);
    if (cols > 1) STORE(o + co, v1);
    if (cols > 2) STORE(o + 2 * co, v2);
    if (cols > 3) STORE(o + 3 * co, v3);
  }
}

/* A times the 4-vector (y0..y3): 6 values, stored at q, q + s, ..., q + 5s. */
static inline void gradient_rows(float* q, int s, V y0, V y1, V y2, V y3) {
  V even = ADD(y0, y2), odd = ADD(y1, y3);
  V even4 = ADD(y0, MUL(SPLAT(4), y2)), odd2 = ADD(MUL(SPLAT(2), y1), MUL(SPLAT(8), y3));
  STORE(q, y0);
  STORE(q + s, ADD(even, odd));
  STORE(q + 2 * s, SUB(even, odd));
  STORE(q + 3 * s, ADD(even4, odd2));
  STORE(q + 4 * s, SUB(even4, odd2));
  STORE(q + 5 * s, y3);
}

/*
 * m[(6i + j) * ms] = (A dY A^T)[i][j] for the 4x4 output-gradient patch of 4 channels
 * at output pixel (y0, x0); pixels past the output's edge read `zeros`.
 */
static void gradient_transform(const float* dy, int oh, int ow, int co, int y0, int x0, float* m, int ms, const float* zeros) {
  for (int i = 0; i < 4; i++) {
    int y = y0 + i;
    const float* p[4];
#pragma clang loop unroll(full)
    for (int j = 0; j < 4; j++) {
      int x = x0 + j;
      p[j] = y < oh && x < ow ? dy + (y * ow + x) * co : zeros;
    }
    gradient_rows(m + 6 * i * ms, ms, LOAD(p[0]), LOAD(p[1]), LOAD(p[2]), LOAD(p[3]));
  }
  for (int j = 0; j < 6; j++) {
    float* c = m + j * ms;
    gradient_rows(c, 6 * ms, LOAD(c), LOAD(c + 6 * ms), LOAD(c + 12 * ms), LOAD(c + 18 * ms));
  }
}

/* c[rows][co] = a[rows][ci] b[ci][co], for rows % 4 == 0 and co % 8 == 0 (4x8 register block). */
static void product(const float* a, const float* b, float* c, int rows, int ci, int co) {
  for (int r = 0; r < rows; r += 4) {
    const float* a0 = a + r * ci;
    for (int n = 0; n < co; n += 8) {
      ZERO_4X8
      const float* bk = b + n;
      for (int k = 0; k < ci; k++, bk += co) {
        STEP_4X8(SPLAT(a0[k]), SPLAT(a0[ci + k]), SPLAT(a0[2 * ci + k]), SPLAT(a0[3 * ci + k]), LOAD(bk), LOAD(bk + 4))
      }
      STORE_4X8(c + r * co + n, co)
    }
  }
}

/* c[ci][co] += sum over r < rows of a[r][ci] b[r][co], for ci % 4 == 0 and co % 8 == 0. */
static void product_transposed(const float* a, const float* b, float* c, int rows, int ci, int co) {
  for (int i = 0; i < ci; i += 4) {
    for (int n = 0; n < co; n += 8) {
      ZERO_4X8
      for (int r = 0; r < rows; r++) {
        const float* ar = a + r * ci + i;
        STEP_4X8(SPLAT(ar[0]), SPLAT(ar[1]), SPLAT(ar[2]), SPLAT(ar[3]), LOAD(b + r * co + n), LOAD(b + r * co + n + 4))
      }
      float* cr = c + i * co + n;
      LOAD_ADD_4X8(cr, co)
      STORE_4X8(cr, co)
    }
  }
}

/* Floats of scratch memory the Winograd `forward` and `filter_gradient` need. */
__attribute__((export_name("scratch_floats")))
int scratch_floats(int ci, int co) {
  return 36 * (BLOCK * (ci + co) + 2 * PAD) + 4;
}

/* G times the 3-vector (g0, g1, g2): 6 values, stored at q, q + s, ..., q + 5s. */
static inline void filter_rows(float* q, int s, float g0, float g1, float g2) {
  q[0] = g0 / 4;
  q[s] = -(g0 + g1 + g2) / 6;
  q[2 * s] = -(g0 - g1 + g2) / 6;
  q[3 * s] = g0 / 24 + g1 / 12 + g2 / 6;
  q[4 * s] = g0 / 24 - g1 / 12 + g2 / 6;
  q[5 * s] = g2;
}

/* The transformed filter G g G^T: [3][3][ci][co] -> [36][ci][co] (columns, then rows in place). */
__attribute__((export_name("filter_transform")))
void filter_transform(const float* g, float* v, int ci, int co) {
  int plane = ci * co;
  for (int k = 0; k < plane; k++) {
    for (int j = 0; j < 3; j++) filter_rows(v + j * plane + k, 6 * plane, g[j * plane + k], g[(3 + j) * plane + k], g[(6 + j) * plane + k]);
    for (int i = 0; i < 6; i++) {
      float* r = v + 6 * i * plane + k;
      filter_rows(r, plane, r[0], r[plane], r[2 * plane]);
    }
  }
}

/* Patch p of n images of oh x ow outputs, as (image, row, column of its 4x4 output patch). */
#define PATCH(p) \
  int image = (p) / per_image, within = (p) % per_image; \
  int py = 4 * (within / patch_cols), px = 4 * (within % patch_cols);

/* Input transforms of patches [first, first + count) into u ([36][BLOCK][ci], rows us apart). */
static void input_block(const float* x, int h, int w, int ci, int per_image, int patch_cols, int top, int left,
                        int first, int count, float* u, int us, const float* zeros) {
  for (int b = 0; b < count; b++) {
    PATCH(first + b)
    const float* source = x + image * h * w * ci;
    for (int c = 0; c < ci; c += 4) input_transform(source + c, h, w, ci, py - top, px - left, u + b * ci + c, us, zeros);
  }
}

/*
 * y = conv(x, g) + bias (bias 0: none), then ReLU if `relu`: x [n][h][w][ci], y
 * [n][oh][ow][co], v the transformed filter (filter_transform). Output pixel
 * (oy, ox) sees input pixels (oy - top + i, ox - left + j), i, j < 3; outside the
 * input is zero padding.
 */
__attribute__((export_name("forward")))
void forward(const float* x, int n, int h, int w, int ci, const float* v, const float* bias, int relu,
             float* y, int oh, int ow, int co, int top, int left, float* scratch) {
  int patch_cols = (ow + 3) / 4, per_image = ((oh + 3) / 4) * patch_cols, total = n * per_image;
  int us = BLOCK * ci + PAD, ms = BLOCK * co + PAD;
  float* u = scratch;          /* [36][BLOCK][ci], rows us apart */
  float* m = u + 36 * us;      /* [36][BLOCK][co], rows ms apart */
  float* zeros = m + 36 * ms;  /* 4 floats */
  STORE(zeros, SPLAT(0));
  for (int first = 0; first < total; first += BLOCK) {
    int count = total - first < BLOCK ? total - first : BLOCK;
    input_block(x, h, w, ci, per_image, patch_cols, top, left, first, count, u, us, zeros);
    /* The product works on 4 patches at a time: a last partial group reads zeros. */
    int rows = (count + 3) & ~3;
    for (int xi = 0; xi < 36; xi++) {
      for (int b = count; b < rows; b++) {
        for (int c = 0; c < ci; c += 4) STORE(u + xi * us + b * ci + c, SPLAT(0));
      }
    }
    for (int xi = 0; xi < 36; xi++) product(u + xi * us, v + xi * ci * co, m + xi * ms, rows, ci, co);
    for (int b = 0; b < count; b++) {
      PATCH(first + b)
      float* target = y + image * oh * ow * co;
      for (int c = 0; c < co; c += 4) {
        output_transform(m + b * co + c, ms, target + c, oh, ow, co, py, px, bias ? LOAD(bias + c) : SPLAT(0), relu);
      }
    }
  }
}

/*
 * dv += the gradient of the transformed filter, for y = conv(x, g) as in `forward`
 * (without bias and ReLU: dy is the gradient at the conv's output), [36][ci][co];
 * filter_gradient_finish turns it into dL/dg.
 */
__attribute__((export_name("filter_gradient")))
void filter_gradient(const float* x, int n, int h, int w, int ci, const float* dy, int oh, int ow, int co,
                     int top, int left, float* dv, float* scratch) {
  int patch_cols = (ow + 3) / 4, per_image = ((oh + 3) / 4) * patch_cols, total = n * per_image;
  int us = BLOCK * ci + PAD, ms = BLOCK * co + PAD;
  float* u = scratch;
  float* m = u + 36 * us;
  float* zeros = m + 36 * ms;
  STORE(zeros, SPLAT(0));
  for (int first = 0; first < total; first += BLOCK) {
    int count = total - first < BLOCK ? total - first : BLOCK;
    input_block(x, h, w, ci, per_image, patch_cols, top, left, first, count, u, us, zeros);
    for (int b = 0; b < count; b++) {
      PATCH(first + b)
      const float* gradient = dy + image * oh * ow * co;
      for (int c = 0; c < co; c += 4) gradient_transform(gradient + c, oh, ow, co, py, px, m + b * co + c, ms, zeros);
    }
    for (int xi = 0; xi < 36; xi++) product_transposed(u + xi * us, m + xi * ms, dv + xi * ci * co, count, ci, co);
  }
}

/* G^T times the 6-vector (d0..d5): 3 values, stored at q, q + s, q + 2s. */
static inline void gradient_finish_rows(float* q, int s, float d0, float d1, float d2, float d3, float d4, float d5) {
  q[0] = d0 / 4 - (d1 + d2) / 6 + (d3 + d4) / 24;
  q[s] = (d2 - d1) / 6 + (d3 - d4) / 12;
  q[2 * s] = -(d1 + d2) / 6 + (d3 + d4) / 6 + d5;
}

/* dL/dg = G^T dv G: [36][ci][co] -> [3][3][ci][co] (columns in place in dv, then rows into dg). */
__attribute__((export_name("filter_gradient_finish")))
void filter_gradient_finish(float* dv, float* dg, int ci, int co) {
  int plane = ci * co;
  for (int k = 0; k < plane; k++) {
    for (int j = 0; j < 6; j++) {
      float* c = dv + j * plane + k;
      gradient_finish_rows(c, 6 * plane, c[0], c[6 * plane], c[12 * plane], c[18 * plane], c[24 * plane], c[30 * plane]);
    }
    for (int i = 0; i < 3; i++) {
      const float* r = dv + 6 * i * plane + k;
      gradient_finish_rows(dg + 3 * i * plane + k, plane, r[0], r[plane], r[2 * plane], r[3 * plane], r[4 * plane], r[5 * plane]);
    }
  }
}

/* ---- Patches (im2col) ---- */

/* Output pixels per block of patch rows. */
#define PATCH_ROWS 32

/* Floats of scratch memory the patch kernels need for a filter of `taps` = KH*KW*Ci values per output channel. */
__attribute__((export_name("patch_scratch_floats")))
int patch_scratch_floats(int taps, int co) {
  int width = (taps + 3) & ~3;
  return PATCH_ROWS * width + width * co + PATCH_ROWS * co + 4;
}

/* Copies `count` floats (vectors, then the rest one by one). */
static inline void copy_floats(float* target, const float* source, int count) {
  int i = 0;
  for (; i + 4 <= count; i += 4) STORE(target + i, LOAD(source + i));
  for (; i < count; i++) target[i] = source[i];
}

static inline void zero_floats(float* target, int count) {
  int i = 0;
  for (; i + 4 <= count; i += 4) STORE(target + i, SPLAT(0));
  for (; i < count; i++) target[i] = 0;
}

/*
 * Rows [first, first + count) of the patch matrix: row p (output pixel p of the
 * n x oh x ow output) holds input pixels (oy*sh - top + ky, ox*sw - left + kx), all
 * channels, in the filter's [ky][kx][ci] order, zeros outside the input, and zeros
 * up to `width` (a multiple of 4).
 */
static void gather_patches(const float* x, int h, int w, int ci, int oh, int ow, int kh, int kw, int sh, int sw,
                           int top, int left, int first, int count, float* rows, int width) {
  int run = kw * ci;
  for (int r = 0; r < count; r++) {
    int p = first + r;
    int image = p / (oh * ow), within = p % (oh * ow);
    int y0 = (within / ow) * sh - top, x0 = (within % ow) * sw - left;
    const float* source = x + image * h * w * ci;
    float* row = rows + r * width;
    for (int ky = 0; ky < kh; ky++) {
      float* target = row + ky * run;
      int y = y0 + ky;
      if (y < 0 || y >= h) {
        zero_floats(target, run);
      } else if (x0 >= 0 && x0 + kw <= w) {
        copy_floats(target, source + (y * w + x0) * ci, run);  /* the whole filter row inside: one run */
      } else {
        for (int kx = 0; kx < kw; kx++) {
          int xx = x0 + kx;
          if (xx < 0 || xx >= w) zero_floats(target + kx * ci, ci);
          else copy_floats(target + kx * ci, source + (y * w + xx) * ci, ci);
        }
      }
    }
    zero_floats(row + kh * run, width - kh * run);
  }
}

/*
 * y = conv(x, g) + bias (bias 0: none), then ReLU if `relu`, for any filter size and
 * stride: x [n][h][w][ci], g [kh][kw][ci][co], y [n][oh][ow][co].
 */
__attribute__((export_name("patch_forward")))
void patch_forward(const float* x, int n, int h, int w, int ci, const float* g, int kh, int kw, int sh, int sw,
                   const float* bias, int relu, float* y, int oh, int ow, int co, int top, int left, float* scratch) {
  int taps = kh * kw * ci, width = (taps + 3) & ~3;
  float* rows = scratch;                      /* [PATCH_ROWS][width] */
  float* filter = rows + PATCH_ROWS * width;  /* [width][co]: g, then zero rows */
  float* block = filter + width * co;         /* [PATCH_ROWS][co] */
  copy_floats(filter, g, taps * co);
  zero_floats(filter + taps * co, (width - taps) * co);
  int total = n * oh * ow;
  V zero = SPLAT(0);
  for (int first = 0; first < total; first += PATCH_ROWS) {
    int count = total - first < PATCH_ROWS ? total - first : PATCH_ROWS;
    int padded = (count + 3) & ~3;
    gather_patches(x, h, w, ci, oh, ow, kh, kw, sh, sw, top, left, first, count, rows, width);
    zero_floats(rows + count * width, (padded - count) * width);
    product(rows, filter, block, padded, width, co);
    for (int r = 0; r < count; r++) {
      float* target = y + (first + r) * co;
      const float* source = block + r * co;
      for (int c = 0; c < co; c += 4) {
        V v = LOAD(source + c);
        if (bias) v = ADD(v, LOAD(bias + c));
        if (relu) v = wasm_f32x4_max(v, zero);
        STORE(target + c, v);
      }
    }
  }
}

/* dL/dg [kh][kw][ci][co] for y = conv(x, g) as in `patch_forward` (without bias and ReLU: dy is the gradient at the conv's output). */
__attribute__((export_name("patch_filter_gradient")))
void patch_filter_gradient(const float* x, int n, int h, int w, int ci, const float* dy, int oh, int ow, int co,
                           int kh, int kw, int sh, int sw, int top, int left, float* dg, float* scratch) {
  int taps = kh * kw * ci, width = (taps + 3) & ~3;
  float* rows = scratch;                       /* [PATCH_ROWS][width] */
  float* gradient = rows + PATCH_ROWS * width;  /* [width][co] */
  zero_floats(gradient, width * co);
  int total = n * oh * ow;
  for (int first = 0; first < total; first += PATCH_ROWS) {
    int count = total - first < PATCH_ROWS ? total - first : PATCH_ROWS;
    gather_patches(x, h, w, ci, oh, ow, kh, kw, sh, sw, top, left, first, count, rows, width);
    product_transposed(rows, dy + first * co, gradient, count, width, co);
  }
  copy_floats(dg, gradient, taps * co);
}

/* ---- The ReLU's gradient and the bias gradient of a conv layer ---- */

/*
 * For y = relu(z), z = conv(x, g) + bias (channels last, `rows` pixels of `channels`
 * values) and the upstream gradient dy: g = dy * 1[y > 0] (dL/dz) and into `bias`
 * the sum of g over the rows (dL/dbias), accumulated per channel in float64, row
 * after row, as a plain loop would (so the sums are the same bits).
 * `sums`: scratch of `channels` doubles.
 */
__attribute__((export_name("relu_bias_gradient")))
void relu_bias_gradient(const float* dy, const float* y, float* g, float* bias, int rows, int channels, double* sums) {
  for (int c = 0; c < channels; c++) sums[c] = 0;
  int vectors = channels & ~3;
  V one = SPLAT(1), zero = SPLAT(0);
  for (int r = 0; r < rows; r++) {
    int offset = r * channels;
    int c = 0;
    for (; c < vectors; c += 4) {
      V value = MUL(LOAD(dy + offset + c), wasm_v128_and(wasm_f32x4_gt(LOAD(y + offset + c), zero), one));
      STORE(g + offset + c, value);
      V high = wasm_i32x4_shuffle(value, value, 2, 3, 0, 1);
      wasm_v128_store(sums + c, wasm_f64x2_add(wasm_v128_load(sums + c), wasm_f64x2_promote_low_f32x4(value)));
      wasm_v128_store(sums + c + 2, wasm_f64x2_add(wasm_v128_load(sums + c + 2), wasm_f64x2_promote_low_f32x4(high)));
    }
    for (; c < channels; c++) {
      float value = dy[offset + c] * (y[offset + c] > 0 ? 1.0f : 0.0f);
      g[offset + c] = value;
      sums[c] += value;
    }
  }
  for (int c = 0; c < channels; c++) bias[c] = (float)sums[c];
}
