// AVX2 + FMA versions of the hot kernels of kernels/ops.hpp (compiled with -mavx2 -mfma -mf16c
// -ffp-contract=off; run only when core/isa.hpp selected avx2): RMSNorm, RoPE, softmax, GELU,
// SiLU and SwiGLU, eight floats a step, the last partial step through masked loads and stores
// (nothing is read or written past n). LayerNorm, used by GPT-2 only and twice per layer, is the
// scalar one. The float math is xsimd::batch<float, xsimd::avx2> with xsimd's exp and erfc;
// sums of squares and of exponentials are kept in double lanes; rope_apply is the scalar
// float32 operations in the scalar order (bit-identical). Accuracy against the scalar
// reference: docs/kernels.md#accuracy.
//
// The file calls no standard-library function or template: an inline function instantiated
// here would be compiled with AVX2 and could be the copy the linker keeps for the rest of the
// library (hence __builtin_sqrt and the hand-rolled lane reductions).
#include <immintrin.h>

#include <xsimd/xsimd.hpp>

#include "kernels/ops.hpp"

namespace mwt::detail::kernels::avx2 {
namespace {

using F8 = xsimd::batch<float, xsimd::avx2>;

// Lanes [0, k) of eight set (k <= 8).
inline __m256i lane_mask(uint64_t k) noexcept {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(k)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline F8 load_part(const float* p, __m256i mask) noexcept { return _mm256_maskload_ps(p, mask); }
inline void store_part(float* p, __m256i mask, F8 v) noexcept { _mm256_maskstore_ps(p, mask, v); }

// Adds the eight lanes of v (as doubles) into acc's four.
inline __m256d add_wide(__m256d acc, __m256 v) noexcept {
  acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  return _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}
// Adds the squares of the eight lanes of v, exact in double, into acc's four.
inline __m256d add_squares_wide(__m256d acc, __m256 v) noexcept {
  const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
  const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
  return _mm256_fmadd_pd(hi, hi, _mm256_fmadd_pd(lo, lo, acc));
}
inline double lanes_sum(__m256d v) noexcept {
  alignas(32) double d[4];
  _mm256_store_pd(d, v);
  return (d[0] + d[1]) + (d[2] + d[3]);
}

// 1 / (1 + e^-t) without overflow, as the scalar reference forms it.
inline F8 sigmoid(F8 t) noexcept {
  const F8 e = xsimd::exp(-xsimd::abs(t));
  const F8 r = F8(1.0f) / (F8(1.0f) + e);
  return xsimd::select(t >= F8(0.0f), r, e * r);
}

// y[i] = op(x[i]) for i < n.
template <class Op>
inline void map1(const float* x, float* y, uint64_t n, Op op) noexcept {
  uint64_t i = 0;
  for (; i + 8 <= n; i += 8) op(F8::load_unaligned(x + i)).store_unaligned(y + i);
  if (i < n) {
    const __m256i m = lane_mask(n - i);
    store_part(y + i, m, op(load_part(x + i, m)));
  }
}

void rms_norm(const float* x, const float* w, float* y, uint64_t n, float eps) noexcept {
  if (n == 0) return;
  __m256d acc = _mm256_setzero_pd();
  uint64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    acc = add_squares_wide(acc, _mm256_loadu_ps(x + i));
  }
  if (i < n) acc = add_squares_wide(acc, _mm256_maskload_ps(x + i, lane_mask(n - i)));  // 0s
  const double mean = lanes_sum(acc) / static_cast<double>(n);
  const F8 r(to_float(1.0 / __builtin_sqrt(mean + static_cast<double>(eps))));
  if (w == nullptr) {
    map1(x, y, n, [r](F8 v) { return v * r; });
    return;
  }
  for (i = 0; i + 8 <= n; i += 8)
    (F8::load_unaligned(x + i) * r * F8::load_unaligned(w + i)).store_unaligned(y + i);
  if (i < n) {
    const __m256i m = lane_mask(n - i);
    store_part(y + i, m, load_part(x + i, m) * r * load_part(w + i, m));
  }
}

// NeoX: the halves of each head, eight angles a step.
void rope_neox(float* row, uint32_t half, const float* cos, const float* sin) noexcept {
  uint32_t i = 0;
  for (; i + 8 <= half; i += 8) {
    const F8 p = F8::load_unaligned(row + i), q = F8::load_unaligned(row + half + i);
    const F8 c = F8::load_unaligned(cos + i), s = F8::load_unaligned(sin + i);
    (p * c - q * s).store_unaligned(row + i);
    (q * c + p * s).store_unaligned(row + half + i);
  }
  if (i < half) {
    const __m256i m = lane_mask(half - i);
    const F8 p = load_part(row + i, m), q = load_part(row + half + i, m);
    const F8 c = load_part(cos + i, m), s = load_part(sin + i, m);
    store_part(row + i, m, p * c - q * s);
    store_part(row + half + i, m, q * c + p * s);
  }
}

// Normal: adjacent pairs, four angles a step. v = (p0 q0 p1 q1 ...), its pair swap
// (q0 p0 q1 p1 ...), cos and sin repeated per pair; addsub gives p c - q s in the even lanes and
// q c + p s in the odd ones, the scalar operations exactly.
void rope_normal(float* row, uint32_t half, const float* cos, const float* sin) noexcept {
  const __m256i dup = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
  auto turn = [dup](__m256 v, __m128 c4, __m128 s4) {
    const __m256 c = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(c4), dup);
    const __m256 s = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(s4), dup);
    const __m256 swapped = _mm256_permute_ps(v, 0xB1);
    return _mm256_addsub_ps(_mm256_mul_ps(v, c), _mm256_mul_ps(swapped, s));
  };
  uint32_t i = 0;
  for (; i + 4 <= half; i += 4) {
    const __m256 v = _mm256_loadu_ps(row + 2 * i);
    _mm256_storeu_ps(row + 2 * i, turn(v, _mm_loadu_ps(cos + i), _mm_loadu_ps(sin + i)));
  }
  if (i < half) {
    const __m256i m = lane_mask(2 * (half - i));
    const __m128i m4 = _mm256_castsi256_si128(lane_mask(half - i));
    const __m256 v = _mm256_maskload_ps(row + 2 * i, m);
    _mm256_maskstore_ps(row + 2 * i, m,
                        turn(v, _mm_maskload_ps(cos + i, m4), _mm_maskload_ps(sin + i, m4)));
  }
}

void rope_apply(float* x, uint64_t n_heads, uint32_t head_dim, uint32_t rot_dims, RopeLayout layout,
                const float* cos, const float* sin) noexcept {
  if (rot_dims > head_dim) rot_dims = head_dim;  // as the scalar kernel: never past a row
  const uint32_t half = rot_dims / 2;
  for (uint64_t h = 0; h < n_heads; ++h) {
    float* row = x + h * head_dim;
    if (layout == RopeLayout::Normal) {
      rope_normal(row, half, cos, sin);
    } else {
      rope_neox(row, half, cos, sin);
    }
  }
}

void softmax(float* x, uint64_t n, float scale, uint64_t n_valid) noexcept {
  const uint64_t m_n = n_valid < n ? n_valid : n;
  if (m_n > 0) {
    const F8 sc(scale), neg_inf(-__builtin_inff());
    // The largest scaled value: max_ps keeps its second operand when the first is NaN, so a
    // NaN is skipped here as in the scalar comparison.
    __m256 mx = neg_inf;
    uint64_t i = 0;
    for (; i + 8 <= m_n; i += 8) mx = _mm256_max_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), sc), mx);
    if (i < m_n) {
      const __m256i k = lane_mask(m_n - i);
      const __m256 v = _mm256_mul_ps(_mm256_maskload_ps(x + i, k), sc);
      mx = _mm256_max_ps(_mm256_blendv_ps(neg_inf, v, _mm256_castsi256_ps(k)), mx);
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, mx);
    float m = lanes[0];
    for (int l = 1; l < 8; ++l) m = lanes[l] > m ? lanes[l] : m;
    // e = exp(x * scale - m), the product and difference rounded once (FMS).
    const F8 shift(m);
    __m256d sum = _mm256_setzero_pd();
    for (i = 0; i + 8 <= m_n; i += 8) {
      const F8 e = xsimd::exp(xsimd::fms(F8::load_unaligned(x + i), sc, shift));
      sum = add_wide(sum, e);
      e.store_unaligned(x + i);
    }
    if (i < m_n) {
      const __m256i k = lane_mask(m_n - i);
      const F8 e = xsimd::exp(xsimd::fms(load_part(x + i, k), sc, shift));
      sum = add_wide(sum, _mm256_and_ps(e, _mm256_castsi256_ps(k)));
      store_part(x + i, k, e);
    }
    const F8 inv(static_cast<float>(1.0 / lanes_sum(sum)));  // sum >= 1 (or NaN)
    map1(x, x, m_n, [inv](F8 e) { return e * inv; });
  }
  for (uint64_t i = m_n; i < n; ++i) x[i] = 0.0f;
}

void gelu_erf(const float* x, float* y, uint64_t n) noexcept {
  const F8 half(0.5f), k(-0.70710678118654752f);  // -1 / sqrt 2
  map1(x, y, n, [=](F8 v) { return half * v * xsimd::erfc(v * k); });
}

void gelu_tanh(const float* x, float* y, uint64_t n) noexcept {
  // x sigmoid(2u), u = sqrt(2 / pi) (x + 0.044715 x^3); the constant is 2 sqrt(2 / pi).
  const F8 a(0.044715f), k2(1.5957691216057308f);
  map1(x, y, n, [=](F8 v) { return v * sigmoid(k2 * xsimd::fma(a * v * v, v, v)); });
}

void silu(const float* x, float* y, uint64_t n) noexcept {
  map1(x, y, n, [](F8 v) { return v * sigmoid(v); });
}

void swiglu(const float* a, const float* b, float* y, uint64_t n) noexcept {
  uint64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const F8 g = F8::load_unaligned(a + i);
    (g * sigmoid(g) * F8::load_unaligned(b + i)).store_unaligned(y + i);
  }
  if (i < n) {
    const __m256i m = lane_mask(n - i);
    const F8 g = load_part(a + i, m);
    store_part(y + i, m, g * sigmoid(g) * load_part(b + i, m));
  }
}

}  // namespace

const OpsKernels kOpsKernels{
    .rms_norm = rms_norm,
    .layer_norm = layer_norm_scalar,
    .rope_apply = rope_apply,
    .softmax = softmax,
    .gelu_erf = gelu_erf,
    .gelu_tanh = gelu_tanh,
    .silu = silu,
    .swiglu = swiglu,
};

}  // namespace mwt::detail::kernels::avx2
