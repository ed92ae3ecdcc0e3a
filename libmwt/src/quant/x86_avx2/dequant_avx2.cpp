// AVX2 dequantization kernels (compiled with -mavx2 -mfma -mf16c -ffp-contract=off; run only
// when dispatch.hpp selected avx2). Each is bit-identical to its scalar reference decoder in
// quant/dequant_legacy.cpp / dequant_k.cpp: integers are unpacked exactly with byte operations,
// widened to int32 and converted to float exactly, and the float math is the reference's own
// operations in its order and operand order (d * q, d * q + m, dl * q - ml, q * d for Q8_0),
// one rounding each — contraction into FMA is off for this file. F16C's conversion of the f16
// scales is exact. The per-sub-block scales (d * sc, dmin * m) are formed in scalar float32,
// as the reference does. The kernel table at the end, avx2::dequant_kernel, also registers the
// kernels of the other block types, defined in dequant_avx2_codebook.cpp (IQ4_NL, IQ4_XS,
// MXFP4, NVFP4), dequant_avx2_ternary.cpp (TQ1_0, TQ2_0) and dequant_avx2_iq.cpp (the IQ grid types).
//
// Integer bit work uses raw AVX2 intrinsics (xsimd 8 has no byte shuffles or per-lane
// widening); the float math and stores use xsimd::batch<float, xsimd::avx2>. The file uses no
// standard-library templates: an inline function instantiated here would be compiled with AVX2
// and could be the copy the linker keeps for the rest of the library.
#include "quant/x86_avx2/dequant_avx2.hpp"

#include <cstdint>

#include "quant/kernel_table.hpp"

namespace mwt::detail::kernels::avx2 {
namespace {

// 32 bytes: byte j is 0x10 when bit j of the little-endian u32 qh is set, else 0.
inline __m256i qh_bit4(const uint8_t* p) noexcept {
  const __m256i bytes = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(load_u32(p))),
      _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                       2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit),
                          _mm256_set1_epi8(0x10));
}

// ------------------------------------------------------------------------ legacy (32 values)

void q8_0(const uint8_t* src, float* y, uint64_t n_blocks) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += 34, y += 32) {
    const F8 d(load_f16(src));
    F8 q[4];
    widen32(load256(src + 2), q);
    for (int j = 0; j < 4; ++j) (q[j] * d).store_unaligned(y + 8 * j);
  }
}

void q4_0(const uint8_t* src, float* y, uint64_t n_blocks) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += 18, y += 32) {
    const F8 d(load_f16(src));
    F8 q[4];
    widen32(_mm256_sub_epi8(legacy_nibbles(src + 2), _mm256_set1_epi8(8)), q);
    for (int j = 0; j < 4; ++j) (d * q[j]).store_unaligned(y + 8 * j);
  }
}

void q4_1(const uint8_t* src, float* y, uint64_t n_blocks) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += 20, y += 32) {
    const F8 d(load_f16(src)), m(load_f16(src + 2));
    F8 q[4];
    widen32(legacy_nibbles(src + 4), q);
    for (int j = 0; j < 4; ++j) (d * q[j] + m).store_unaligned(y + 8 * j);
  }
}

void q5_0(const uint8_t* src, float* y, uint64_t n_blocks) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += 22, y += 32) {
    const F8 d(load_f16(src));
    const __m256i v = _mm256_or_si256(legacy_nibbles(src + 6), qh_bit4(src + 2));
    F8 q[4];
    widen32(_mm256_sub_epi8(v, _mm256_set1_epi8(16)), q);
    for (int j = 0; j < 4; ++j) (d * q[j]).store_unaligned(y + 8 * j);
  }
}

void q5_1(const uint8_t* src, float* y, uint64_t n_blocks) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += 24, y += 32) {
    const F8 d(load_f16(src)), m(load_f16(src + 2));
    F8 q[4];
    widen32(_mm256_or_si256(legacy_nibbles(src + 8), qh_bit4(src + 4)), q);
    for (int j = 0; j < 4; ++j) (d * q[j] + m).store_unaligned(y + 8 * j);
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

// Q4_K / Q5_K 6-bit scales and mins (the layout comment is at the scalar unpack_scale_min_k4).
inline void unpack_scale_min_k4(const uint8_t* s, int* sc, int* mn) noexcept {
  for (int j = 0; j < 4; ++j) {
    sc[j] = s[j] & 63;
    mn[j] = s[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    sc[j] = (s[j + 4] & 0x0F) | ((s[j - 4] >> 2) & 0x30);
    mn[j] = (s[j + 4] >> 4) | ((s[j] >> 2) & 0x30);
  }
}

void q4_k(const uint8_t* src, float* y, uint64_t n_blocks) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += 144, y += 256) {
    const float d = load_f16(src), dmin = load_f16(src + 2);
    int sc[8], mn[8];
    unpack_scale_min_k4(src + 4, sc, mn);
    for (int p = 0; p < 4; ++p) {
      const __m256i x = load256(src + 16 + 32 * p);
      for (int h = 0; h < 2; ++h) {
        const int k = 2 * p + h;
        store32_affine(bits256(x, 4 * h, 0x0F), d * static_cast<float>(sc[k]),
                       dmin * static_cast<float>(mn[k]), y + 32 * k);
      }
    }
  }
}

void q5_k(const uint8_t* src, float* y, uint64_t n_blocks) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += 176, y += 256) {
    const float d = load_f16(src), dmin = load_f16(src + 2);
    int sc[8], mn[8];
    unpack_scale_min_k4(src + 4, sc, mn);
    const __m256i qh = load256(src + 16);
    for (int p = 0; p < 4; ++p) {
      const __m256i x = load256(src + 48 + 32 * p);
      for (int h = 0; h < 2; ++h) {
        const int k = 2 * p + h;
        const __m256i hi = _mm256_slli_epi16(bits256(qh, k, 0x01), 4);
        store32_affine(_mm256_or_si256(bits256(x, 4 * h, 0x0F), hi),
                       d * static_cast<float>(sc[k]), dmin * static_cast<float>(mn[k]),
                       y + 32 * k);
      }
    }
  }
}

void q6_k(const uint8_t* src, float* y, uint64_t n_blocks) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += 210, y += 256) {
    const float d = load_f16(src + 208);
    float dl[16];
    for (int k = 0; k < 16; ++k) dl[k] = d * static_cast<float>(static_cast<int8_t>(src[192 + k]));
    for (int h = 0; h < 2; ++h) {
      const __m256i qh = load256(src + 128 + 32 * h);
      for (int r = 0; r < 4; ++r) {  // values h*128 + 32r .. +32
        const __m256i lo = bits256(load256(src + 64 * h + 32 * (r % 2)), 4 * (r / 2), 0x0F);
        const __m256i hi = _mm256_slli_epi16(bits256(qh, 2 * r, 0x03), 4);
        const __m256i v = _mm256_sub_epi8(_mm256_or_si256(lo, hi), _mm256_set1_epi8(32));
        store32_scaled16(v, dl + 8 * h + 2 * r, y + 128 * h + 32 * r);
      }
    }
  }
}

void q2_k(const uint8_t* src, float* y, uint64_t n_blocks) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += 84, y += 256) {
    const float d = load_f16(src + 80), dmin = load_f16(src + 82);
    float dl[16], ml[16];
    for (int k = 0; k < 16; ++k) {
      dl[k] = d * static_cast<float>(src[k] & 0x0F);
      ml[k] = dmin * static_cast<float>(src[k] >> 4);
    }
    for (int h = 0; h < 2; ++h) {
      const __m256i x = load256(src + 16 + 32 * h);
      for (int g = 0; g < 4; ++g)  // values h*128 + 32g .. +32, sub-blocks 8h + 2g, +1
        store32_affine16(bits256(x, 2 * g, 0x03), dl + 8 * h + 2 * g, ml + 8 * h + 2 * g,
                         y + 128 * h + 32 * g);
    }
  }
}

void q3_k(const uint8_t* src, float* y, uint64_t n_blocks) {
  for (uint64_t i = 0; i < n_blocks; ++i, src += 110, y += 256) {
    const uint8_t* sc = src + 96;
    const float d = load_f16(src + 108);
    float dl[16];
    for (int k = 0; k < 16; ++k) {
      const int lo = (sc[k % 8] >> (4 * (k / 8))) & 0x0F;
      const int hi = (sc[8 + k % 4] >> (2 * (k / 4))) & 0x03;
      dl[k] = d * static_cast<float>((lo | (hi << 4)) - 32);
    }
    const __m256i hmask = load256(src);
    for (int h = 0; h < 2; ++h) {
      const __m256i x = load256(src + 32 + 32 * h);
      for (int g = 0; g < 4; ++g) {
        // 4 where bit (4h + g) of hmask[l] is clear: q = q2 - 4 * (1 - bit).
        const __m256i clear = _mm256_xor_si256(bits256(hmask, 4 * h + g, 0x01), _mm256_set1_epi8(1));
        const __m256i v = _mm256_sub_epi8(bits256(x, 2 * g, 0x03), _mm256_slli_epi16(clear, 2));
        store32_scaled16(v, dl + 8 * h + 2 * g, y + 128 * h + 32 * g);
      }
    }
  }
}

}  // namespace

DequantKernel dequant_kernel(DType type) noexcept {
  switch (type) {
    case DType::Q8_0: return q8_0;
    case DType::Q4_0: return q4_0;
    case DType::Q4_1: return q4_1;
    case DType::Q5_0: return q5_0;
    case DType::Q5_1: return q5_1;
    case DType::Q2_K: return q2_k;
    case DType::Q3_K: return q3_k;
    case DType::Q4_K: return q4_k;
    case DType::Q5_K: return q5_k;
    case DType::Q6_K: return q6_k;
    case DType::IQ4_NL: return dequantize_iq4_nl_avx2;
    case DType::IQ4_XS: return dequantize_iq4_xs_avx2;
    case DType::MXFP4: return dequantize_mxfp4_avx2;
    case DType::NVFP4: return dequantize_nvfp4_avx2;
    case DType::TQ1_0: return dequantize_tq1_0_avx2;
    case DType::TQ2_0: return dequantize_tq2_0_avx2;
    case DType::IQ2_XXS: return dequantize_iq2_xxs_avx2;
    case DType::IQ2_XS: return dequantize_iq2_xs_avx2;
    case DType::IQ2_S: return dequantize_iq2_s_avx2;
    case DType::IQ3_XXS: return dequantize_iq3_xxs_avx2;
    case DType::IQ3_S: return dequantize_iq3_s_avx2;
    case DType::IQ1_S: return dequantize_iq1_s_avx2;
    case DType::IQ1_M: return dequantize_iq1_m_avx2;
    default: return nullptr;
  }
}

}  // namespace mwt::detail::kernels::avx2
