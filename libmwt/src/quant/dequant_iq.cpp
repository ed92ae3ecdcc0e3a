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

// IQ2_XXS / IQ3_XXS: group g (32 values) has the u32 word(g) with a 4-bit scale on top
// (db = d * (0.5 + s) * k) and four 7-bit sign indices, one per 8 values; coord(g, l, e) is
// the grid coordinate of value 8l + e of the group.
template <class Word, class Coord>
void decode_xxs(float d, float k, Word word, Coord coord, float* y) {
  for (int g = 0; g < 8; ++g) {
    const uint32_t w = word(g);
    const float db = d * (0.5f + static_cast<float>(w >> 28)) * k;
    for (int l = 0; l < 4; ++l) {
      const uint8_t signs = even_parity_signs((w >> (7 * l)) & 0x7F);
      float* out = y + 32 * g + 8 * l;
      for (int e = 0; e < 8; ++e) out[e] = db * coord(g, l, e) * sign_of(signs, e);
    }
  }
}

}  // namespace

// Per 32 values two u32: word 0 = four 8-bit grid indices (so byte l of the group indexes
// entry l), word 1 = four 7-bit sign indices and the scale; db = d * (0.5 + s) * 0.25.
void decode_iq2_xxs(const uint8_t* b, float* y) {
  using B = BlockIQ2_XXS;
  const uint8_t* qs = b + B::qs.at;
  decode_xxs(
      load_f16(b + B::d.at), 0.25f, [qs](int g) { return load_u32(qs + 8 * g + 4); },
      [qs](int g, int l, int e) { return grid_u8(kIq2xxsGrid[qs[8 * g + l]], e); }, y);
}

// u16 qs[32]: 9-bit grid index, 7-bit sign index.
void decode_iq2_xs(const uint8_t* b, float* y) {
  using B = BlockIQ2_XS;
  const float d = load_f16(b + B::d.at);
  for (int k = 0; k < 32; ++k) {
    const uint16_t q = load_u16(b + B::qs.at + 2 * k);
    const float db = iq2_scale(d, b + B::scales.at, k / 2);
    const uint64_t entry = kIq2xsGrid[q & 511];
    const uint8_t signs = even_parity_signs(q >> 9);
    for (int e = 0; e < 8; ++e) y[8 * k + e] = db * grid_u8(entry, e) * sign_of(signs, e);
  }
}

// Entry k: index qs[k] | (2-bit field k % 4 of qh[k / 4]) << 8, explicit sign byte signs[k].
void decode_iq2_s(const uint8_t* b, float* y) {
  using B = BlockIQ2_S;
  const float d = load_f16(b + B::d.at);
  for (int k = 0; k < 32; ++k) {
    const float db = iq2_scale(d, b + B::scales.at, k / 2);
    const int high = (b[B::qh.at + k / 4] >> (2 * (k % 4))) & 3;
    const uint64_t entry = kIq2sGrid[b[B::qs.at + k] | (high << 8)];
    const uint8_t signs = b[B::signs.at + k];
    for (int e = 0; e < 8; ++e) y[8 * k + e] = db * grid_u8(entry, e) * sign_of(signs, e);
  }
}

// qs[64]: 8-bit indices of 4-value entries; one u32 per 32 values: four 7-bit sign indices and
// the scale, db = d * (0.5 + s) * 0.5.
void decode_iq3_xxs(const uint8_t* b, float* y) {
  using B = BlockIQ3_XXS;
  const uint8_t* qs = b + B::qs.at;
  const uint8_t* words = b + B::scales_signs.at;
  decode_xxs(
      load_f16(b + B::d.at), 0.5f, [words](int g) { return load_u32(words + 4 * g); },
      [qs](int g, int l, int e) { return grid_u8(kIq3xxsGrid[qs[8 * g + 2 * l + e / 4]], e % 4); },
      y);
}

// Entry k (4 values): index qs[k] | (bit k % 8 of qh[k / 8]) << 8; explicit signs, bit i % 8
// of signs[i / 8] for value i; 4-bit scale per 32 values, giving d * (1 + 2s).
void decode_iq3_s(const uint8_t* b, float* y) {
  using B = BlockIQ3_S;
  const float d = load_f16(b + B::d.at);
  const uint8_t* qs = b + B::qs.at;
  const uint8_t* qh = b + B::qh.at;
  const uint8_t* signs = b + B::signs.at;
  const uint8_t* scales = b + B::scales.at;
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

// One u16 qh per 32 values: four 3-bit high index parts, a 3-bit scale (bits 12-14) and the
// delta sign (bit 15).
void decode_iq1_s(const uint8_t* b, float* y) {
  using B = BlockIQ1_S;
  constexpr float kDelta = 0.125f;
  const float d = load_f16(b + B::d.at);
  const uint8_t* qs = b + B::qs.at;
  for (int g = 0; g < 8; ++g) {
    const uint16_t qh = load_u16(b + B::qh.at + 2 * g);
    const float dl = d * static_cast<float>(2 * ((qh >> 12) & 7) + 1);
    const float delta = (qh & 0x8000) ? -kDelta : kDelta;
    for (int l = 0; l < 4; ++l) {
      const uint64_t entry = kIq1sGrid[qs[4 * g + l] | (((qh >> (3 * l)) & 7) << 8)];
      for (int e = 0; e < 8; ++e) y[32 * g + 8 * l + e] = dl * (grid_i8(entry, e) + delta);
    }
  }
}

// qh: a nibble per 8 values (3 high index bits, delta sign in bit 3); four u16 scales: four
// 3-bit scales each (one per 16 values) and the f16 super-scale d in their top nibbles (word w
// holds bits 4w..4w+3 of d).
void decode_iq1_m(const uint8_t* b, float* y) {
  using B = BlockIQ1_M;
  constexpr float kDelta = 0.125f;
  const uint8_t* qs = b + B::qs.at;
  const uint8_t* qh = b + B::qh.at;
  uint16_t sc[4];
  for (int w = 0; w < 4; ++w) sc[w] = load_u16(b + B::scales.at + 2 * w);
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
