/*
 * One Adam step (Kingma & Ba, 2015, with PyTorch's rule as agents/nets/adam.ts
 * states it) over a parameter in one pass, instead of a dozen element-wise tensor
 * ops that each read and write the whole array. Float32 arithmetic in the same
 * order as adam.ts's tensor ops, so the results are the same bits. New arrays out:
 * nothing is written in place (tensors may share memory, see wasm_kernels.ts).
 * Built into the same module as convs.c (build.sh); no stack or static data.
 */
#include <wasm_simd128.h>

typedef v128_t V;

/*
 * m' = m keep1 + g add1; v' = v keep2 + g^2 add2;
 * p' = p - (m' / (sqrt(v') / correction2 + eps)) * step_size, for n values.
 * (keep1 = beta1 and add1 = 1 - beta1 come from the caller, rounded to float32 from
 * double as the tensor ops' scalars are; likewise for beta2.)
 */
__attribute__((export_name("adam_step")))
void adam_step(const float* p, const float* g, const float* m, const float* v, float* p_out, float* m_out, float* v_out, int n,
               float keep1, float add1, float keep2, float add2, float correction2, float eps, float step_size) {
  V k1 = wasm_f32x4_splat(keep1), a1 = wasm_f32x4_splat(add1), k2 = wasm_f32x4_splat(keep2), a2 = wasm_f32x4_splat(add2);
  V c2 = wasm_f32x4_splat(correction2), e = wasm_f32x4_splat(eps), s = wasm_f32x4_splat(step_size);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    V gi = wasm_v128_load(g + i);
    V mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), k1), wasm_f32x4_mul(gi, a1));
    V vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), k2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), a2));
    V denominator = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vi), c2), e);
    wasm_v128_store(m_out + i, mi);
    wasm_v128_store(v_out + i, vi);
    wasm_v128_store(p_out + i, wasm_f32x4_sub(wasm_v128_load(p + i), wasm_f32x4_mul(wasm_f32x4_div(mi, denominator), s)));
  }
  for (; i < n; i++) {
    float gi = g[i];
    float mi = m[i] * keep1 + gi * add1;
    float vi = v[i] * keep2 + (gi * gi) * add2;
    float denominator = __builtin_sqrtf(vi) / correction2 + eps;
    m_out[i] = mi;
    v_out[i] = vi;
    p_out[i] = p[i] - (mi / denominator) * step_size;
  }
}
