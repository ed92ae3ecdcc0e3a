// AVX2 kernels of the value-table types: IQ4_NL, IQ4_XS (the kvalues_iq4nl table), MXFP4
// (doubled E2M1 values, half the E8M0 block scale) and NVFP4 (the same values, half an unsigned
// E4M3 scale per 16 values). Compiled with -mavx2 -mfma -mf16c
// -ffp-contract=off and run only when dispatch.hpp selected avx2; each is bit-identical to its
// scalar reference in quant/dequant_codebook.cpp. A byte shuffle looks the 4-bit indices up in
// the 16-entry int8 table, the int8 values widen and convert to float exactly, and the one float
// operation is the reference's: scale * value, one rounding. The per-sub-block IQ4_XS scale
// d * (ls - 32), MXFP4's power-of-two scale and NVFP4's E4M3 scale are formed in scalar float32
// as the reference forms them (all exact). No standard-library templates here (see dequant_avx2.cpp).
#include <cstdint>

#include "quant/x86_avx2/dequant_avx2.hpp"
#include "quant/fp4_values.hpp"

namespace mwt::detail::kernels::avx2 {
namespace {

// Format facts (ggml-common.h kvalues_iq4nl; kvalues_mxfp4 is quant/fp4_values.hpp's table),
// as int8 shuffle tables.
alignas(16) constexpr int8_t kValuesIq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                                 1,    13,   25,  38,  53,  69,  89,  113};
using quant::kValuesFp4x2;

inline __m256i table256(const int8_t* t) noexcept {
  return _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t)));
}

// The 32 table values of a 16-byte nibble field, in the legacy value order.
inline __m256i lookup32(__m256i table, const uint8_t* qs) noexcept {
  return _mm256_shuffle_epi8(table, legacy_nibbles(qs));
}

// 2^(e - 128), half of the E8M0 scale, as float32 bits; e = 0 and 1 are subnormal (the
// reference's own spelling), e = 255 decodes like the others.
inline float e8m0_half(uint8_t e) noexcept {
  const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Half the value of an unsigned E4M3 byte (bias 7, exponent field 0 = subnormal man * 2^-9),
// exactly as quant/dequant_codebook.cpp's ue4m3_half: bytes 0x00 and 0x7F give 0 and the top bit
// is ignored by the fields. Normal: (8 + man) * 2^(e - 11), i.e. exponent field e + 119 with the
// mantissa's three bits on top; subnormal: man * 2^-10, exact in float32.
inline float ue4m3_half(uint8_t x) noexcept {
  if (x == 0 || x == 0x7F) return 0.0f;
  const uint32_t e = (x >> 3) & 0xFu, man = x & 0x7u;
  if (e == 0) return static_cast<float>(man) * 0x1p-10f;
  const uint32_t bits = ((e + 119u) << 23) | (man << 20);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

// d; qs[16].
void dequantize_iq4_nl_avx2(const uint8_t* src, float* y, uint64_t n_blocks) {
  const __m256i table = table256(kValuesIq4nl);
  for (uint64_t i = 0; i < n_blocks; ++i, src += 18, y += 32)
    store32_scaled(lookup32(table, src + 2), F8(load_f16(src)), y);
}

// d; u16 scales_h; scales_l[4]; qs[128]: eight sub-blocks of 32 values, each with the 6-bit
// scale (nibble k % 2 of scales_l[k / 2]) | (bits 2k, 2k+1 of scales_h) << 4, biased by 32.
void dequantize_iq4_xs_avx2(const uint8_t* src, float* y, uint64_t n_blocks) {
  const __m256i table = table256(kValuesIq4nl);
  for (uint64_t i = 0; i < n_blocks; ++i, src += 136, y += 256) {
    const float d = load_f16(src);
    const uint32_t scales_h = load_u16(src + 2);
    const uint32_t scales_l = load_u32(src + 4);
    for (int k = 0; k < 8; ++k) {
      const int ls = static_cast<int>(((scales_l >> (4 * k)) & 0x0F) |
                                      (((scales_h >> (2 * k)) & 0x03) << 4));
      store32_scaled(lookup32(table, src + 8 + 16 * k), F8(d * static_cast<float>(ls - 32)),
                     y + 32 * k);
    }
  }
}

// u8 e (E8M0); qs[16].
void dequantize_mxfp4_avx2(const uint8_t* src, float* y, uint64_t n_blocks) {
  const __m256i table = table256(kValuesFp4x2);
  for (uint64_t i = 0; i < n_blocks; ++i, src += 17, y += 32)
    store32_scaled(lookup32(table, src + 1), F8(e8m0_half(src[0])), y);
}

// d[4] (unsigned E4M3, one per 16 values); qs[32]: sub-block s is qs[8s..8s+8), low nibbles
// its first 8 values, high nibbles its next 8. Two sub-blocks per 256-bit lookup.
void dequantize_nvfp4_avx2(const uint8_t* src, float* y, uint64_t n_blocks) {
  const __m256i table = table256(kValuesFp4x2);
  for (uint64_t i = 0; i < n_blocks; ++i, src += 36, y += 64) {
    for (int s = 0; s < 4; s += 2) {
      const __m128i a = load64(src + 4 + 8 * s), b = load64(src + 12 + 8 * s);
      const __m128i ia = _mm_unpacklo_epi64(bits128(a, 0, 0x0F), bits128(a, 4, 0x0F));
      const __m128i ib = _mm_unpacklo_epi64(bits128(b, 0, 0x0F), bits128(b, 4, 0x0F));
      F8 q[4];
      widen32(_mm256_shuffle_epi8(table, _mm256_set_m128i(ib, ia)), q);
      const F8 da(ue4m3_half(src[s])), db(ue4m3_half(src[s + 1]));
      (da * q[0]).store_unaligned(y + 16 * s);
      (da * q[1]).store_unaligned(y + 16 * s + 8);
      (db * q[2]).store_unaligned(y + 16 * s + 16);
      (db * q[3]).store_unaligned(y + 16 * s + 24);
    }
  }
}

}  // namespace mwt::detail::kernels::avx2
