// AVX2 encoders of the legacy block types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 (compiled with -mavx2
// -mfma -mf16c -ffp-contract=off; run only when core/isa.hpp selected avx2). Each writes the
// bytes of its scalar reference in quant/quantize_legacy.cpp (tests/cpp/test_quantize_simd.cpp
// checks it), by doing the reference's float32 operations in its order, one rounding each:
//   - the block maximum / minimum are order-free on finite values; the zero sign the reference
//     picks (-0 below +0) and the first value of largest magnitude (Q4_0 / Q5_0) are recovered
//     from compare masks;
//   - d, 1 / d and the f16 rounding of d and m are computed on one float as the reference does
//     (F16C's conversion rounds to nearest-even and overflows to Inf, as f32_to_f16);
//   - x * id (+ bias), (x - min) * id + 0.5, and np_roundf's floor steps are the same IEEE
//     operations on eight lanes; the float -> int32 truncation gives INT32_MIN for NaN and
//     out-of-range values, whose low byte is the 0 np_cast_u8 returns; the low byte of each
//     int32 is kept exactly as np_cast_u8 does.
// Finite inputs only (the dispatcher checks), like the scalar encoders. Integer work uses raw
// AVX2 intrinsics, as the dequantization kernels of this directory do; the file uses no
// standard-library templates (see dequant_avx2.cpp).
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "quant/blocks.hpp"
#include "quant/kernel_table.hpp"

namespace mwt::detail::kernels::avx2 {
namespace {

constexpr int kBlock = static_cast<int>(quant::BlockQ8_0::kElems);

struct Block32 {
  __m256 v[4];
};

inline Block32 load_block(const float* x) noexcept {
  Block32 b;
  for (int j = 0; j < 4; ++j) b.v[j] = _mm256_loadu_ps(x + 8 * j);
  return b;
}

inline __m256 abs_ps(__m256 v) noexcept {
  return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF)));
}

// Horizontal max / min of eight finite floats (the order does not matter for them).
inline float hmax(__m256 v) noexcept {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}
inline float hmin(__m256 v) noexcept {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_min_ps(m, _mm_movehl_ps(m, m));
  m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

// Bit j set when lane j % 8 of v[j / 8] compares true.
template <int kCmp>
inline uint32_t mask32(const Block32& b, __m256 s) noexcept {
  uint32_t m = 0;
  for (int j = 0; j < 4; ++j)
    m |= static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(b.v[j], s, kCmp))) << (8 * j);
  return m;
}

inline uint32_t bits_of(float v) noexcept {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return u;
}

inline void store_f16(uint8_t* p, float v) noexcept {
  const uint16_t h = _cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT);
  std::memcpy(p, &h, 2);
}

inline float inverse_or_zero(float d) noexcept { return d == 0.0f ? 0.0f : 1.0f / d; }

// The low byte of each int32 of a, b, c, d, in lane order: 32 bytes.
inline __m256i low_bytes(__m256i a, __m256i b, __m256i c, __m256i d) noexcept {
  const __m256i ff = _mm256_set1_epi32(0xFF);
  const __m256i ab = _mm256_packus_epi32(_mm256_and_si256(a, ff), _mm256_and_si256(b, ff));
  const __m256i cd = _mm256_packus_epi32(_mm256_and_si256(c, ff), _mm256_and_si256(d, ff));
  return _mm256_permutevar8x32_epi32(_mm256_packus_epi16(ab, cd),
                                     _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// q_j = min(qmax, low byte of trunc(t_j)) for 32 floats t (truncation = cvtt).
inline __m256i clamp_q(const __m256 t[4], uint8_t qmax) noexcept {
  const __m256i q = low_bytes(_mm256_cvttps_epi32(t[0]), _mm256_cvttps_epi32(t[1]),
                              _mm256_cvttps_epi32(t[2]), _mm256_cvttps_epi32(t[3]));
  return _mm256_min_epu8(q, _mm256_set1_epi8(static_cast<char>(qmax)));
}

// The nibbles (value j low, value j + 16 high in qs[j]) and, for the 5-bit types, bit 4 of
// value j as bit j of qh.
template <class B>
inline void store_values(__m256i q, uint8_t* b) noexcept {
  if constexpr (requires { B::qh; }) {
    const uint32_t qh = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_slli_epi16(q, 3)));
    std::memcpy(b + B::qh.at, &qh, 4);
  }
  const __m128i m = _mm_set1_epi8(0x0F);
  const __m128i lo = _mm_and_si128(_mm256_castsi256_si128(q), m);
  const __m128i hi = _mm_and_si128(_mm256_extracti128_si256(q, 1), m);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(b + B::qs.at),
                   _mm_or_si128(lo, _mm_slli_epi16(hi, 4)));
}

void q8_0(const float* src, uint8_t* dst, uint64_t n_blocks, const float*, uint64_t) {
  using B = quant::BlockQ8_0;
  for (uint64_t i = 0; i < n_blocks; ++i, src += kBlock, dst += B::kBytes) {
    const Block32 x = load_block(src);
    const __m256 a = _mm256_max_ps(_mm256_max_ps(abs_ps(x.v[0]), abs_ps(x.v[1])),
                                   _mm256_max_ps(abs_ps(x.v[2]), abs_ps(x.v[3])));
    const float d = hmax(a) / 127.0f;
    const __m256 id = _mm256_set1_ps(inverse_or_zero(d));
    store_f16(dst + B::d.at, d);
    __m256i q[4];
    for (int j = 0; j < 4; ++j) {
      // np_roundf(v): floor(|v|) + floor(2 * (|v| - floor(|v|))), with the sign of v.
      const __m256 v = _mm256_mul_ps(x.v[j], id);
      const __m256 av = abs_ps(v);
      const __m256 fl = _mm256_round_ps(av, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
      const __m256 two_frac = _mm256_mul_ps(_mm256_set1_ps(2.0f), _mm256_sub_ps(av, fl));
      const __m256 r =
          _mm256_add_ps(fl, _mm256_round_ps(two_frac, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
      // v < 0 ? -r : r
      const __m256 neg = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ);
      const __m256 s = _mm256_xor_ps(r, _mm256_and_ps(neg, _mm256_set1_ps(-0.0f)));
      q[j] = _mm256_cvttps_epi32(s);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + B::qs.at),
                        low_bytes(q[0], q[1], q[2], q[3]));
  }
}

// Q4_0 / Q5_0: d = (the first value of largest magnitude) / divisor,
// q = min(qmax, trunc(x * id + bias)).
template <class B, uint8_t kQmax>
void symmetric(const float* src, uint8_t* dst, uint64_t n_blocks, float divisor, float bias) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += kBlock, dst += B::kBytes) {
    const Block32 x = load_block(src);
    Block32 ax;
    for (int j = 0; j < 4; ++j) ax.v[j] = abs_ps(x.v[j]);
    const float amax =
        hmax(_mm256_max_ps(_mm256_max_ps(ax.v[0], ax.v[1]), _mm256_max_ps(ax.v[2], ax.v[3])));
    const uint32_t at = mask32<_CMP_EQ_OQ>(ax, _mm256_set1_ps(amax));
    const float d = src[__builtin_ctz(at)] / divisor;  // at != 0: amax is one of the |x|
    const __m256 id = _mm256_set1_ps(inverse_or_zero(d)), vb = _mm256_set1_ps(bias);
    __m256 t[4];
    for (int j = 0; j < 4; ++j) t[j] = _mm256_add_ps(_mm256_mul_ps(x.v[j], id), vb);
    store_f16(dst + B::d.at, d);
    store_values<B>(clamp_q(t, kQmax), dst);
  }
}

// Q4_1 / Q5_1: d = (max - min) / qmax, m = min, with -0 ordered below +0;
// q = min(qmax, trunc((x - min) * id + 0.5)).
template <class B, uint8_t kQmax>
void affine(const float* src, uint8_t* dst, uint64_t n_blocks, const float*, uint64_t) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += kBlock, dst += B::kBytes) {
    const Block32 x = load_block(src);
    float mn = hmin(_mm256_min_ps(_mm256_min_ps(x.v[0], x.v[1]), _mm256_min_ps(x.v[2], x.v[3])));
    float mx = hmax(_mm256_max_ps(_mm256_max_ps(x.v[0], x.v[1]), _mm256_max_ps(x.v[2], x.v[3])));
    if (mn == 0.0f || mx == 0.0f) {
      // Which zeros occur: -0 is the minimum when any value is -0, +0 the maximum when any is +0.
      bool neg_zero = false, pos_zero = false;
      for (int j = 0; j < kBlock; ++j) {
        neg_zero |= bits_of(src[j]) == 0x80000000u;
        pos_zero |= bits_of(src[j]) == 0u;
      }
      if (mn == 0.0f) mn = neg_zero ? -0.0f : 0.0f;
      if (mx == 0.0f) mx = pos_zero ? 0.0f : -0.0f;
    }
    const float d = (mx - mn) / static_cast<float>(kQmax);
    const __m256 id = _mm256_set1_ps(inverse_or_zero(d)), vm = _mm256_set1_ps(mn);
    __m256 t[4];
    for (int j = 0; j < 4; ++j)
      t[j] = _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(x.v[j], vm), id), _mm256_set1_ps(0.5f));
    store_f16(dst + B::d.at, d);
    store_f16(dst + B::m.at, mn);
    store_values<B>(clamp_q(t, kQmax), dst);
  }
}

void q4_0(const float* src, uint8_t* dst, uint64_t n_blocks, const float*, uint64_t) {
  symmetric<quant::BlockQ4_0, 15>(src, dst, n_blocks, -8.0f, 8.5f);
}
void q5_0(const float* src, uint8_t* dst, uint64_t n_blocks, const float*, uint64_t) {
  symmetric<quant::BlockQ5_0, 31>(src, dst, n_blocks, -16.0f, 16.5f);
}

constexpr EncoderEntry kEntries[] = {
    {DType::Q4_0, q4_0}, {DType::Q4_1, affine<quant::BlockQ4_1, 15>},
    {DType::Q5_0, q5_0}, {DType::Q5_1, affine<quant::BlockQ5_1, 31>},
    {DType::Q8_0, q8_0},
};

}  // namespace

extern const EncoderList kLegacyEncoders{kEntries, sizeof(kEntries) / sizeof(kEntries[0])};

}  // namespace mwt::detail::kernels::avx2
