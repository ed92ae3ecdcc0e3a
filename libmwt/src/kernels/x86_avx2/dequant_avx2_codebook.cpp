// AVX2 kernels of the value-table types: IQ4_NL, IQ4_XS (the kvalues_iq4nl table) and MXFP4
// (doubled E2M1 values, half the E8M0 block scale). Compiled with -mavx2 -mfma -mf16c
// -ffp-contract=off and run only when dispatch.hpp selected avx2; each is bit-identical to its
// scalar reference in quant/dequant_codebook.cpp. A byte shuffle looks the 4-bit indices up in
// the 16-entry int8 table, the int8 values widen and convert to float exactly, and the one float
// operation is the reference's: scale * value, one rounding. The per-sub-block IQ4_XS scale
// d * (ls - 32) and MXFP4's power-of-two scale are formed in scalar float32 as the reference
// forms them. No standard-library templates here (see dequant_avx2.cpp).
#include <cstdint>

#include "kernels/x86_avx2/dequant_avx2.hpp"
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

}  // namespace mwt::detail::kernels::avx2
