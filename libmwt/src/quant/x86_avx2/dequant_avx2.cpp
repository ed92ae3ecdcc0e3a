// AVX2 dequantization kernels (compiled with -mavx2 -mfma -mf16c -ffp-contract=off; run only
// when core/isa.hpp selected avx2). Each is bit-identical to its scalar reference decoder in
// quant/dequant_legacy.cpp / dequant_k.cpp: integers are unpacked exactly with byte operations,
// widened to int32 and converted to float exactly, and the float math is the reference's own
// operations in its order and operand order (d * q, d * q + m, dl * q - ml, q * d for Q8_0),
// one rounding each — contraction into FMA is off for this file. F16C's conversion of the f16
// scales is exact. The per-sub-block scales (d * sc, dmin * m) are formed in scalar float32,
// as the reference does. Block fields are addressed through quant/blocks.hpp; the list at the
// end (kLegacyKQuantKernels, quant/kernel_table.hpp) is how the type-traits table finds them.
//
// Integer bit work uses raw AVX2 intrinsics (xsimd 8 has no byte shuffles or per-lane
// widening); the float math and stores use xsimd::batch<float, xsimd::avx2>. The file uses no
// standard-library templates: an inline function instantiated here would be compiled with AVX2
// and could be the copy the linker keeps for the rest of the library.
#include "quant/x86_avx2/dequant_avx2.hpp"

#include <cstdint>

namespace mwt::detail::kernels::avx2 {
namespace {

// 32 bytes: byte j is 0x10 when bit j of the little-endian u32 qh is set, else 0.
inline __m256i qh_bit4(const uint8_t* p) noexcept {
  const __m256i bytes =
      _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(load_u32(p))),
                          _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                           2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit),
                          _mm256_set1_epi8(0x10));
}

// ------------------------------------------------------------------------ legacy (32 values)

void q8_0(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockQ8_0;
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const F8 d(load_f16(src + B::d.at));
    F8 q[4];
    widen32(load256(src + B::qs.at), q);
    for (int j = 0; j < 4; ++j) (q[j] * d).store_unaligned(y + 8 * j);
  }
}

// Q4_0, Q4_1, Q5_0, Q5_1 (B): q = the nibbles, with bit 4 from qh for the 5-bit types, minus
// kBias; y = d * q, plus m for the types with a minimum.
template <class B, char kBias>
void legacy(const uint8_t* src, float* y, uint64_t n_blocks) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const F8 d(load_f16(src + B::d.at));
    __m256i v = legacy_nibbles(src + B::qs.at);
    if constexpr (requires { B::qh; }) v = _mm256_or_si256(v, qh_bit4(src + B::qh.at));
    if constexpr (kBias != 0) v = _mm256_sub_epi8(v, _mm256_set1_epi8(kBias));
    F8 q[4];
    widen32(v, q);
    if constexpr (requires { B::m; }) {
      const F8 m(load_f16(src + B::m.at));
      for (int j = 0; j < 4; ++j) (d * q[j] + m).store_unaligned(y + 8 * j);
    } else {
      for (int j = 0; j < 4; ++j) (d * q[j]).store_unaligned(y + 8 * j);
    }
  }
}

// ------------------------------------------------------------------- K-quants (256 values)

// 32 values y[0..32) = dl * q - ml, one (dl, ml) for all of them.
inline void store32_affine(__m256i v, float dl, float ml, float* y) noexcept {
  const F8 d(dl), m(ml);
  F8 q[4];
  widen32(v, q);
  for (int j = 0; j < 4; ++j) (d * q[j] - m).store_unaligned(y + 8 * j);
}

// 32 values in two sub-blocks of 16: y = dl[s] * q - ml[s], s = 0 for y[0..16), 1 after.
inline void store32_affine16(__m256i v, const float* dl, const float* ml, float* y) noexcept {
  F8 q[4];
  widen32(v, q);
  for (int j = 0; j < 4; ++j) (F8(dl[j / 2]) * q[j] - F8(ml[j / 2])).store_unaligned(y + 8 * j);
}

// 32 values in two sub-blocks of 16: y = dl[s] * q.
inline void store32_scaled16(__m256i v, const float* dl, float* y) noexcept {
  F8 q[4];
  widen32(v, q);
  for (int j = 0; j < 4; ++j) (F8(dl[j / 2]) * q[j]).store_unaligned(y + 8 * j);
}

// Q4_K / Q5_K (B): per 64 values the low, then the high nibbles of 32 qs bytes; Q5_K ors in
// bit 4 of value 32k + l from bit k of qh[l]. y = (d * sc) * q - (dmin * m) per 32 values.
template <class B>
void k4(const uint8_t* src, float* y, uint64_t n_blocks) {
  constexpr bool kHighBit = requires { B::qh; };
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const float d = load_f16(src + B::d.at), dmin = load_f16(src + B::dmin.at);
    int sc[8], mn[8];
    quant::unpack_scale_min_k4(src + B::scales.at, sc, mn);
    __m256i qh = _mm256_setzero_si256();
    if constexpr (kHighBit) qh = load256(src + B::qh.at);
    for (int p = 0; p < 4; ++p) {
      const __m256i x = load256(src + B::qs.at + 32 * p);
      for (int h = 0; h < 2; ++h) {
        const int k = 2 * p + h;
        __m256i v = bits256(x, 4 * h, 0x0F);
        if constexpr (kHighBit) v = _mm256_or_si256(v, _mm256_slli_epi16(bits256(qh, k, 0x01), 4));
        store32_affine(v, d * static_cast<float>(sc[k]), dmin * static_cast<float>(mn[k]),
                       y + 32 * k);
      }
    }
  }
}

void q6_k(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockQ6_K;
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const float d = load_f16(src + B::d.at);
    const uint8_t* scales = src + B::scales.at;
    float dl[16];
    for (int k = 0; k < 16; ++k) dl[k] = d * static_cast<float>(static_cast<int8_t>(scales[k]));
    for (int h = 0; h < 2; ++h) {
      const __m256i qh = load256(src + B::qh.at + 32 * h);
      for (int r = 0; r < 4; ++r) {  // values h*128 + 32r .. +32
        const uint8_t* ql = src + B::ql.at + 64 * h + 32 * (r % 2);
        const __m256i lo = bits256(load256(ql), 4 * (r / 2), 0x0F);
        const __m256i hi = _mm256_slli_epi16(bits256(qh, 2 * r, 0x03), 4);
        const __m256i v = _mm256_sub_epi8(_mm256_or_si256(lo, hi), _mm256_set1_epi8(32));
        store32_scaled16(v, dl + 8 * h + 2 * r, y + 128 * h + 32 * r);
      }
    }
  }
}

void q2_k(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockQ2_K;
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const float d = load_f16(src + B::d.at), dmin = load_f16(src + B::dmin.at);
    const uint8_t* scales = src + B::scales.at;
    float dl[16], ml[16];
    for (int k = 0; k < 16; ++k) {
      dl[k] = d * static_cast<float>(scales[k] & 0x0F);
      ml[k] = dmin * static_cast<float>(scales[k] >> 4);
    }
    for (int h = 0; h < 2; ++h) {
      const __m256i x = load256(src + B::qs.at + 32 * h);
      for (int g = 0; g < 4; ++g)  // values h*128 + 32g .. +32, sub-blocks 8h + 2g, +1
        store32_affine16(bits256(x, 2 * g, 0x03), dl + 8 * h + 2 * g, ml + 8 * h + 2 * g,
                         y + 128 * h + 32 * g);
    }
  }
}

void q3_k(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockQ3_K;
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const float d = load_f16(src + B::d.at);
    float dl[16];
    for (int k = 0; k < 16; ++k)
      dl[k] = d * static_cast<float>(quant::q3_k_scale(src + B::scales.at, k));
    const __m256i hmask = load256(src + B::hmask.at);
    for (int h = 0; h < 2; ++h) {
      const __m256i x = load256(src + B::qs.at + 32 * h);
      for (int g = 0; g < 4; ++g) {
        // 4 where bit (4h + g) of hmask[l] is clear: q = q2 - 4 * (1 - bit).
        const __m256i clear =
            _mm256_xor_si256(bits256(hmask, 4 * h + g, 0x01), _mm256_set1_epi8(1));
        const __m256i v = _mm256_sub_epi8(bits256(x, 2 * g, 0x03), _mm256_slli_epi16(clear, 2));
        store32_scaled16(v, dl + 8 * h + 2 * g, y + 128 * h + 32 * g);
      }
    }
  }
}

constexpr KernelEntry kKernels[] = {
    {DType::Q8_0, q8_0},
    {DType::Q4_0, legacy<quant::BlockQ4_0, 8>},
    {DType::Q4_1, legacy<quant::BlockQ4_1, 0>},
    {DType::Q5_0, legacy<quant::BlockQ5_0, 16>},
    {DType::Q5_1, legacy<quant::BlockQ5_1, 0>},
    {DType::Q2_K, q2_k},
    {DType::Q3_K, q3_k},
    {DType::Q4_K, k4<quant::BlockQ4_K>},
    {DType::Q5_K, k4<quant::BlockQ5_K>},
    {DType::Q6_K, q6_k},
};

}  // namespace

extern const KernelList kLegacyKQuantKernels{kKernels, sizeof(kKernels) / sizeof(kKernels[0])};

}  // namespace mwt::detail::kernels::avx2
