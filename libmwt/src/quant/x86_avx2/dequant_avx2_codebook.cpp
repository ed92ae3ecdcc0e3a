// AVX2 kernels of the value-table types: IQ4_NL, IQ4_XS (the kvalues_iq4nl table), MXFP4
// (doubled E2M1 values, half the E8M0 block scale) and NVFP4 (the same values, half an unsigned
// E4M3 scale per 16 values). Compiled with -mavx2 -mfma -mf16c -ffp-contract=off and run only
// when core/isa.hpp selected avx2; each is bit-identical to its scalar reference in
// quant/dequant_codebook.cpp. A byte shuffle looks the 4-bit indices up in
// the 16-entry int8 table, the int8 values widen and convert to float exactly, and the one float
// operation is the reference's: scale * value, one rounding. The per-sub-block IQ4_XS scale
// d * (ls - 32), MXFP4's power-of-two scale and NVFP4's E4M3 scale are formed in scalar float32
// as the reference forms them (all exact). No standard-library templates here (see
// dequant_avx2.cpp).
#include <cstdint>

#include "quant/x86_avx2/dequant_avx2.hpp"

namespace mwt::detail::kernels::avx2 {
namespace {

// The value tables (quant/blocks.hpp, 16-byte aligned) as int8 shuffle tables.
using quant::e8m0_half;
using quant::kValuesFp4x2;
using quant::kValuesIq4nl;

inline __m256i table256(const int8_t* t) noexcept {
  return _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t)));
}

// The 32 table values of a 16-byte nibble field, in the legacy value order.
inline __m256i lookup32(__m256i table, const uint8_t* qs) noexcept {
  return _mm256_shuffle_epi8(table, legacy_nibbles(qs));
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

void iq4_nl(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockIQ4_NL;
  const __m256i table = table256(kValuesIq4nl);
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems)
    store32_scaled(lookup32(table, src + B::qs.at), F8(load_f16(src + B::d.at)), y);
}

// Eight sub-blocks of 32 values, each with the 6-bit scale (nibble k % 2 of scales_l[k / 2]) |
// (bits 2k, 2k+1 of scales_h) << 4, biased by 32.
void iq4_xs(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockIQ4_XS;
  const __m256i table = table256(kValuesIq4nl);
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const float d = load_f16(src + B::d.at);
    const uint32_t scales_h = load_u16(src + B::scales_h.at);
    const uint32_t scales_l = load_u32(src + B::scales_l.at);
    for (int k = 0; k < 8; ++k) {
      const int ls =
          static_cast<int>(((scales_l >> (4 * k)) & 0x0F) | (((scales_h >> (2 * k)) & 0x03) << 4));
      store32_scaled(lookup32(table, src + B::qs.at + 16 * k), F8(d * static_cast<float>(ls - 32)),
                     y + 32 * k);
    }
  }
}

void mxfp4(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockMXFP4;
  const __m256i table = table256(kValuesFp4x2);
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems)
    store32_scaled(lookup32(table, src + B::qs.at), F8(e8m0_half(src[B::e.at])), y);
}

// Two 16-value sub-blocks per 256-bit lookup.
void nvfp4(const uint8_t* src, float* y, uint64_t n_blocks) {
  using B = quant::BlockNVFP4;
  const __m256i table = table256(kValuesFp4x2);
  for (uint64_t i = 0; i < n_blocks; ++i, src += B::kBytes, y += B::kElems) {
    const uint8_t* scales = src + B::d.at;
    for (int s = 0; s < 4; s += 2) {
      const uint8_t* qs = src + B::qs.at + 8 * s;
      const __m128i a = load64(qs), b = load64(qs + 8);
      const __m128i ia = _mm_unpacklo_epi64(bits128(a, 0, 0x0F), bits128(a, 4, 0x0F));
      const __m128i ib = _mm_unpacklo_epi64(bits128(b, 0, 0x0F), bits128(b, 4, 0x0F));
      F8 q[4];
      widen32(_mm256_shuffle_epi8(table, _mm256_set_m128i(ib, ia)), q);
      const F8 da(ue4m3_half(scales[s])), db(ue4m3_half(scales[s + 1]));
      (da * q[0]).store_unaligned(y + 16 * s);
      (da * q[1]).store_unaligned(y + 16 * s + 8);
      (db * q[2]).store_unaligned(y + 16 * s + 16);
      (db * q[3]).store_unaligned(y + 16 * s + 24);
    }
  }
}

constexpr KernelEntry kKernels[] = {
    {DType::IQ4_NL, iq4_nl},
    {DType::IQ4_XS, iq4_xs},
    {DType::MXFP4, mxfp4},
    {DType::NVFP4, nvfp4},
};

}  // namespace

extern const KernelList kCodebookKernels{kKernels, sizeof(kKernels) / sizeof(kKernels[0])};

}  // namespace mwt::detail::kernels::avx2
