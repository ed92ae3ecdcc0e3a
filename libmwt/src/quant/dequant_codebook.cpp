// Block types whose 4-bit indices select from a fixed value table: IQ4_NL and IQ4_XS (the
// non-linear kvalues_iq4nl table) and MXFP4 (E2M1 values, doubled, scaled by half the E8M0
// block exponent). Nibble order is Q4_0's: low nibbles first, then high nibbles.
#include "quant/block_kernels.hpp"

namespace mwt::detail::quant {
namespace {

constexpr int8_t kValuesIq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                     1,    13,   25,  38,  53,  69,  89,  113};
// E2M1 (sign, 2-bit exponent, 1-bit mantissa) times two, so every value is an integer.
constexpr int8_t kValuesFp4x2[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

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

}  // namespace mwt::detail::quant
