// The IQ grid types: IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M. Groups of 8 (or 4)
// values are one codebook entry (iq_grids.hpp) with per-value signs and a per-group scale.
// Float32 operation order follows gguf-py: the group scale is formed first, then
// (scale * grid) * sign, or scale * (grid + delta) for the IQ1 types.
#include <bit>

#include "quant/block_kernels.hpp"
#include "quant/iq_grids.hpp"

namespace mwt::detail::quant {
namespace {

// Coordinate e of a packed grid entry.
inline float grid_u8(uint64_t entry, int e) {
  return static_cast<float>(static_cast<uint8_t>(entry >> (8 * e)));
}
inline float grid_i8(uint64_t entry, int e) {
  return static_cast<float>(static_cast<int8_t>(static_cast<uint8_t>(entry >> (8 * e))));
}

// ksigns_iq2xs: a 7-bit index gives 8 sign bits, the 8th making the count of set bits even.
inline uint8_t even_parity_signs(uint32_t idx7) {
  return static_cast<uint8_t>(idx7 | ((static_cast<uint32_t>(std::popcount(idx7)) & 1u) << 7));
}
inline float sign_of(uint8_t signs, int e) { return (signs >> e) & 1 ? -1.0f : 1.0f; }

// IQ2_XS / IQ2_S: sixteen 4-bit scales (low nibble, then high nibble of each byte), one per
// 16 values, giving d * (0.5 + s) * 0.25.
inline float iq2_scale(float d, const uint8_t* scales, int k16) {
  const int s = (scales[k16 / 2] >> (4 * (k16 % 2))) & 0x0F;
  return d * (0.5f + static_cast<float>(s)) * 0.25f;
}

}  // namespace

// d; u32 pairs per 32 values: word 0 = four 8-bit grid indices, word 1 = four 7-bit sign
// indices and a 4-bit scale on top.
void decode_iq2_xxs(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  for (int g = 0; g < 8; ++g) {
    const uint32_t w0 = load_u32(b + 2 + 8 * g), w1 = load_u32(b + 6 + 8 * g);
    const float db = d * (0.5f + static_cast<float>(w1 >> 28)) * 0.25f;
    for (int l = 0; l < 4; ++l) {
      const uint64_t entry = kIq2xxsGrid[(w0 >> (8 * l)) & 0xFF];
      const uint8_t signs = even_parity_signs((w1 >> (7 * l)) & 0x7F);
      float* out = y + 32 * g + 8 * l;
      for (int e = 0; e < 8; ++e) out[e] = db * grid_u8(entry, e) * sign_of(signs, e);
    }
  }
}

// d; u16 qs[32] (9-bit grid index, 7-bit sign index); scales[8].
void decode_iq2_xs(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const uint8_t* scales = b + 66;
  for (int k = 0; k < 32; ++k) {
    const uint16_t q = load_u16(b + 2 + 2 * k);
    const float db = iq2_scale(d, scales, k / 2);
    const uint64_t entry = kIq2xsGrid[q & 511];
    const uint8_t signs = even_parity_signs(q >> 9);
    for (int e = 0; e < 8; ++e) y[8 * k + e] = db * grid_u8(entry, e) * sign_of(signs, e);
  }
}

// d; qs[32] (low 8 index bits); signs[32] (explicit); qh[8] (2 high index bits each);
// scales[8].
void decode_iq2_s(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const uint8_t* qs = b + 2;
  const uint8_t* signs = b + 34;
  const uint8_t* qh = b + 66;
  const uint8_t* scales = b + 74;
  for (int k = 0; k < 32; ++k) {
    const float db = iq2_scale(d, scales, k / 2);
    const uint64_t entry = kIq2sGrid[qs[k] | (((qh[k / 4] >> (2 * (k % 4))) & 3) << 8)];
    for (int e = 0; e < 8; ++e) y[8 * k + e] = db * grid_u8(entry, e) * sign_of(signs[k], e);
  }
}

// d; qs[64] (8-bit indices of 4-value entries); u32 per 32 values: four 7-bit sign indices
// and a 4-bit scale, giving d * (0.5 + s) * 0.5.
void decode_iq3_xxs(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const uint8_t* qs = b + 2;
  for (int g = 0; g < 8; ++g) {
    const uint32_t w = load_u32(b + 66 + 4 * g);
    const float db = d * (0.5f + static_cast<float>(w >> 28)) * 0.5f;
    for (int l = 0; l < 4; ++l) {
      const uint8_t signs = even_parity_signs((w >> (7 * l)) & 0x7F);
      for (int e = 0; e < 8; ++e) {
        const int i = 32 * g + 8 * l + e;
        const uint32_t entry = kIq3xxsGrid[qs[i / 4]];
        y[i] = db * grid_u8(entry, i % 4) * sign_of(signs, e);
      }
    }
  }
}

// d; qs[64] (low 8 index bits); qh[8] (9th bits); signs[32]; scales[4] (4 bits per 32
// values, giving d * (1 + 2s)).
void decode_iq3_s(const uint8_t* b, float* y) {
  const float d = load_f16(b);
  const uint8_t* qs = b + 2;
  const uint8_t* qh = b + 66;
  const uint8_t* signs = b + 74;
  const uint8_t* scales = b + 106;
  for (int g = 0; g < 8; ++g) {
    const int s = (scales[g / 2] >> (4 * (g % 2))) & 0x0F;
    const float db = d * static_cast<float>(1 + 2 * s);
    for (int j = 0; j < 32; ++j) {
      const int i = 32 * g + j, k = i / 4;
      const uint32_t entry = kIq3sGrid[qs[k] | (((qh[k / 8] >> (k % 8)) & 1) << 8)];
      y[i] = db * grid_u8(entry, i % 4) * sign_of(signs[i / 8], i % 8);
    }
  }
}

// d; qs[32] (low 8 index bits); u16 qh[8], one per 32 values: four 3-bit high index parts,
// a 3-bit scale (bits 12-14) and the delta sign (bit 15).
void decode_iq1_s(const uint8_t* b, float* y) {
  constexpr float kDelta = 0.125f;
  const float d = load_f16(b);
  const uint8_t* qs = b + 2;
  for (int g = 0; g < 8; ++g) {
    const uint16_t qh = load_u16(b + 34 + 2 * g);
    const float dl = d * static_cast<float>(2 * ((qh >> 12) & 7) + 1);
    const float delta = (qh & 0x8000) ? -kDelta : kDelta;
    for (int l = 0; l < 4; ++l) {
      const uint64_t entry = kIq1sGrid[qs[4 * g + l] | (((qh >> (3 * l)) & 7) << 8)];
      for (int e = 0; e < 8; ++e) y[32 * g + 8 * l + e] = dl * (grid_i8(entry, e) + delta);
    }
  }
}

// qs[32]; qh[16] (a nibble per 8 values: 3 high index bits, delta sign in bit 3);
// u16 scales[4]: four 3-bit scales each (one per 16 values), and the f16 super-scale d spread
// over their top nibbles (word w holds bits 4w..4w+3 of d).
void decode_iq1_m(const uint8_t* b, float* y) {
  constexpr float kDelta = 0.125f;
  const uint8_t* qs = b;
  const uint8_t* qh = b + 32;
  uint16_t sc[4];
  for (int w = 0; w < 4; ++w) sc[w] = load_u16(b + 48 + 2 * w);
  const uint16_t d_bits = static_cast<uint16_t>((sc[0] >> 12) | ((sc[1] >> 12) << 4) |
                                                ((sc[2] >> 12) << 8) | ((sc[3] >> 12) << 12));
  const float d = f16_to_f32(d_bits);
  for (int j = 0; j < 16; ++j) {
    const int s = (sc[j / 4] >> (3 * (j % 4))) & 7;
    const float dl = d * static_cast<float>(2 * s + 1);
    for (int h = 0; h < 2; ++h) {
      const int k = 2 * j + h;  // 8-value group
      const int nib = (qh[k / 2] >> (4 * (k % 2))) & 0x0F;
      const uint64_t entry = kIq1sGrid[qs[k] | ((nib & 7) << 8)];
      const float delta = (nib & 8) ? -kDelta : kDelta;
      for (int e = 0; e < 8; ++e) y[8 * k + e] = dl * (grid_i8(entry, e) + delta);
    }
  }
}

}  // namespace mwt::detail::quant
