// Block types whose 4-bit indices select from a fixed value table: IQ4_NL and IQ4_XS (the
// non-linear kvalues_iq4nl table) and MXFP4 (E2M1 values, doubled, scaled by half the E8M0
// block exponent; NVFP4: the same table, one unsigned-E4M3 scale per 16 values). Nibble order
// is Q4_0's: low nibbles first, then high nibbles (per 16-value sub-block for NVFP4).
#include <cmath>

#include "quant/block_kernels.hpp"
#include "quant/fp4_values.hpp"

namespace mwt::detail::quant {
namespace {

constexpr int8_t kValuesIq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                     1,    13,   25,  38,  53,  69,  89,  113};

// 2^(e - 128) as float32 bits: half of the E8M0 scale 2^(e - 127). e = 0 and 1 land in the
// subnormal range and are spelled as bit patterns; e = 255 (E8M0's NaN) decodes like the
// others, as ggml does.
float e8m0_half(uint8_t e) {
  const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

// d; qs[16].
void decode_iq4_nl(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const uint8_t* qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>(kValuesIq4nl[qs[j] & 0x0F]);
    y[j + 16] = d * static_cast<float>(kValuesIq4nl[qs[j] >> 4]);
  }
}

// d; u16 scales_h; scales_l[4]; qs[128]. Sub-block k of 32 values has the 6-bit scale
// (nibble k % 2 of scales_l[k / 2]) | (bits 2k..2k+1 of scales_h) << 4, biased by 32, and
// 16 bytes of nibbles in Q4_0 order.
void decode_iq4_xs(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const uint16_t scales_h = load_u16(b + 2);
  const uint8_t* scales_l = b + 4;
  const uint8_t* qs = b + 8;
  for (int k = 0; k < 8; ++k) {
    const int lo = (scales_l[k / 2] >> (4 * (k % 2))) & 0x0F;
    const int hi = (scales_h >> (2 * k)) & 0x03;
    const float dl = d * static_cast<float>((lo | (hi << 4)) - 32);
    const uint8_t* q = qs + 16 * k;
    for (int j = 0; j < 16; ++j) {
      y[32 * k + j] = dl * static_cast<float>(kValuesIq4nl[q[j] & 0x0F]);
      y[32 * k + j + 16] = dl * static_cast<float>(kValuesIq4nl[q[j] >> 4]);
    }
  }
}

// u8 e (E8M0); qs[16].
void decode_mxfp4(const uint8_t* b, float* y) {
  const float d = e8m0_half(b[0]);
  const uint8_t* qs = b + 1;
  for (int j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>(kValuesFp4x2[qs[j] & 0x0F]);
    y[j + 16] = d * static_cast<float>(kValuesFp4x2[qs[j] >> 4]);
  }
}

// NVFP4 scale: an unsigned E4M3 byte (bias 7; exponent field 0 = subnormal, man * 2^-9), halved
// for the doubled E2M1 table. Bytes 0x00 and 0x7F decode to 0; the top bit is not part of the
// format and is ignored by the exponent/mantissa fields (gguf-py's ue4m3_to_fp32). Every value
// is exact in float32.
static float ue4m3_half(uint8_t x) noexcept {
  if (x == 0 || x == 0x7F) return 0.0f;
  const int e = (x >> 3) & 0xF;
  const float man = static_cast<float>(x & 0x7);
  const float raw = e == 0 ? man * 0x1p-9f : (1.0f + man / 8.0f) * std::ldexp(1.0f, e - 7);
  return raw * 0.5f;
}

void decode_nvfp4(const uint8_t* b, float* y) {
  // d[4] (one scale per 16 values), then 4 x 8 bytes: low nibbles are a sub-block's first 8
  // values, high nibbles its next 8.
  for (int s = 0; s < 4; ++s) {
    const float d = ue4m3_half(b[s]);
    const uint8_t* qs = b + 4 + 8 * s;
    float* out = y + 16 * s;
    for (int j = 0; j < 8; ++j) {
      out[j] = d * static_cast<float>(kValuesFp4x2[qs[j] & 0x0F]);
      out[j + 8] = d * static_cast<float>(kValuesFp4x2[qs[j] >> 4]);
    }
  }
}

}  // namespace mwt::detail::quant
