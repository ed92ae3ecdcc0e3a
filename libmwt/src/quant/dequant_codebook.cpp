// Block types whose 4-bit indices select from a fixed value table: IQ4_NL and IQ4_XS (the
// non-linear kvalues_iq4nl table) and MXFP4 (E2M1 values, doubled, scaled by half the E8M0
// block exponent; NVFP4: the same table, one unsigned-E4M3 scale per 16 values). Nibble order
// is Q4_0's: low nibbles first, then high nibbles (per 16-value sub-block for NVFP4).
#include <cmath>

#include "quant/block_kernels.hpp"

namespace mwt::detail::quant {
namespace {

// y[j] = d * table[index j] for the 32 nibble indices of 16 bytes qs in Q4_0's order (low
// nibbles are values 0-15, high nibbles 16-31).
inline void table32(const int8_t* table, float d, const uint8_t* qs, float* y) noexcept {
  for (int j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>(table[qs[j] & 0x0F]);
    y[j + 16] = d * static_cast<float>(table[qs[j] >> 4]);
  }
}

// NVFP4 scale: an unsigned E4M3 byte (bias 7; exponent field 0 = subnormal, man * 2^-9), halved
// for the doubled E2M1 table. Bytes 0x00 and 0x7F decode to 0; the top bit is not part of the
// format and is ignored by the exponent/mantissa fields (gguf-py's ue4m3_to_fp32). Every value
// is exact in float32. (The AVX2 kernel builds the same values from bits: an independent copy
// the kernel tests compare against.)
float ue4m3_half(uint8_t x) noexcept {
  if (x == 0 || x == 0x7F) return 0.0f;
  const int e = (x >> 3) & 0xF;
  const float man = static_cast<float>(x & 0x7);
  const float raw = e == 0 ? man * 0x1p-9f : (1.0f + man / 8.0f) * std::ldexp(1.0f, e - 7);
  return raw * 0.5f;
}

}  // namespace

void decode_iq4_nl(const uint8_t* b, float* y) {
  using B = BlockIQ4_NL;
  table32(kValuesIq4nl, load_f16(b + B::d.at), b + B::qs.at, y);
}

// Sub-block k of 32 values has the 6-bit scale (nibble k % 2 of scales_l[k / 2]) |
// (bits 2k..2k+1 of scales_h) << 4, biased by 32, and 16 bytes of nibbles in Q4_0 order.
void decode_iq4_xs(const uint8_t* b, float* y) {
  using B = BlockIQ4_XS;
  const float d = load_f16(b + B::d.at);
  const uint16_t scales_h = load_u16(b + B::scales_h.at);
  const uint8_t* scales_l = b + B::scales_l.at;
  for (int k = 0; k < 8; ++k) {
    const int lo = (scales_l[k / 2] >> (4 * (k % 2))) & 0x0F;
    const int hi = (scales_h >> (2 * k)) & 0x03;
    const float dl = d * static_cast<float>((lo | (hi << 4)) - 32);
    table32(kValuesIq4nl, dl, b + B::qs.at + 16 * k, y + 32 * k);
  }
}

void decode_mxfp4(const uint8_t* b, float* y) {
  using B = BlockMXFP4;
  table32(kValuesFp4x2, e8m0_half(b[B::e.at]), b + B::qs.at, y);
}

void decode_nvfp4(const uint8_t* b, float* y) {
  using B = BlockNVFP4;
  for (int s = 0; s < 4; ++s) {
    const float d = ue4m3_half(b[B::d.at + s]);
    const uint8_t* qs = b + B::qs.at + 8 * s;
    float* out = y + 16 * s;
    for (int j = 0; j < 8; ++j) {
      out[j] = d * static_cast<float>(kValuesFp4x2[qs[j] & 0x0F]);
      out[j + 8] = d * static_cast<float>(kValuesFp4x2[qs[j] >> 4]);
    }
  }
}

}  // namespace mwt::detail::quant
