// K-quants (256-value super-blocks): Q2_K, Q3_K, Q4_K, Q5_K, Q6_K. Each super-block has one
// f16 scale d (and a min-scale dmin for Q2/Q4/Q5_K) and small per-sub-block integer scales.
// The per-sub-block float scale is formed first (d * sc, dmin * m) and then applied, in
// float32, as gguf-py does: y = (d*sc) * q - (dmin*m), or (d*sc) * q without a minimum.
#include "quant/block_kernels.hpp"

namespace mwt::detail::quant {
namespace {

// Q4_K / Q5_K: eight 6-bit scales and eight 6-bit mins packed in 12 bytes. Bytes 0-3 hold the
// low 6 bits of scales 0-3 (top 2 bits: high bits of scales 4-7), bytes 4-7 the same for the
// mins, bytes 8-11 the low 4 bits of scales 4-7 (low nibble) and mins 4-7 (high nibble).
void unpack_scale_min_k4(const uint8_t* s, int* sc, int* mn) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = s[j] & 63;
    mn[j] = s[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    sc[j] = (s[j + 4] & 0x0F) | ((s[j - 4] >> 2) & 0x30);
    mn[j] = (s[j + 4] >> 4) | ((s[j] >> 2) & 0x30);
  }
}

}  // namespace

// scales[16] (low nibble scale, high nibble min); qs[64]; d; dmin.
// Value i: 2-bit field (i % 128) / 32 of byte qs[(i / 128) * 32 + i % 32]; sub-block i / 16.
void decode_q2_k(const uint8_t* b, float* y) {
  const uint8_t* scales = b;
  const uint8_t* qs = b + 16;
  const float d = load_f16(b + 80), dmin = load_f16(b + 82);
  for (int k = 0; k < 16; ++k) {
    const float dl = d * static_cast<float>(scales[k] & 0x0F);
    const float ml = dmin * static_cast<float>(scales[k] >> 4);
    for (int l = 0; l < 16; ++l) {
      const int i = k * 16 + l;
      const int q = (qs[(i / 128) * 32 + i % 32] >> (2 * ((i % 128) / 32))) & 3;
      y[i] = dl * static_cast<float>(q) - ml;
    }
  }
}

// hmask[32]; qs[64]; scales[12] (sixteen 6-bit values, biased by 32); d.
// Value i: low 2 bits as in Q2_K; bit 2 is set when bit i / 32 of hmask[i % 32] is clear,
// contributing -4.
void decode_q3_k(const uint8_t* b, float* y) {
  const uint8_t* hmask = b;
  const uint8_t* qs = b + 32;
  const uint8_t* sc = b + 96;
  const float d = load_f16(b + 108);
  for (int k = 0; k < 16; ++k) {
    const int lo = (sc[k % 8] >> (4 * (k / 8))) & 0x0F;
    const int hi = (sc[8 + k % 4] >> (2 * (k / 4))) & 0x03;
    const float dl = d * static_cast<float>((lo | (hi << 4)) - 32);
    for (int l = 0; l < 16; ++l) {
      const int i = k * 16 + l;
      const int q2 = (qs[(i / 128) * 32 + i % 32] >> (2 * ((i % 128) / 32))) & 3;
      const int h = (hmask[i % 32] >> (i / 32)) & 1;
      y[i] = dl * static_cast<float>(q2 - ((h ^ 1) << 2));
    }
  }
}

// d; dmin; scales[12]; qs[128]. Per 64 values: 32 low nibbles then 32 high nibbles of the same
// 32 bytes; sub-block i / 32.
void decode_q4_k(const uint8_t* b, float* y) {
  const float d = load_f16(b), dmin = load_f16(b + 2);
  int sc[8], mn[8];
  unpack_scale_min_k4(b + 4, sc, mn);
  const uint8_t* qs = b + 16;
  for (int k = 0; k < 8; ++k) {
    const float dl = d * static_cast<float>(sc[k]);
    const float ml = dmin * static_cast<float>(mn[k]);
    const uint8_t* q = qs + (k / 2) * 32;
    const int shift = 4 * (k % 2);
    for (int l = 0; l < 32; ++l)
      y[k * 32 + l] = dl * static_cast<float>((q[l] >> shift) & 0x0F) - ml;
  }
}

// d; dmin; scales[12]; qh[32]; qs[128]. As Q4_K, with bit 4 of value i from bit i / 32 of
// qh[i % 32].
void decode_q5_k(const uint8_t* b, float* y) {
  const float d = load_f16(b), dmin = load_f16(b + 2);
  int sc[8], mn[8];
  unpack_scale_min_k4(b + 4, sc, mn);
  const uint8_t* qh = b + 16;
  const uint8_t* qs = b + 48;
  for (int k = 0; k < 8; ++k) {
    const float dl = d * static_cast<float>(sc[k]);
    const float ml = dmin * static_cast<float>(mn[k]);
    const uint8_t* q = qs + (k / 2) * 32;
    const int shift = 4 * (k % 2);
    for (int l = 0; l < 32; ++l) {
      const int v = ((q[l] >> shift) & 0x0F) | (((qh[l] >> k) & 1) << 4);
      y[k * 32 + l] = dl * static_cast<float>(v) - ml;
    }
  }
}

// ql[128]; qh[64]; int8 scales[16]; d. Value i in half h = i / 128 (r = i % 128): low 4 bits
// from nibble r / 64 of ql[h*64 + r % 64], high 2 bits from field r / 32 of qh[h*32 + r % 32];
// the 6-bit value is biased by 32; sub-block i / 16.
void decode_q6_k(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const uint8_t* scales = b + 192;
  const float d = load_f16(b + 208);
  for (int k = 0; k < 16; ++k) {
    const float dl = d * static_cast<float>(static_cast<int8_t>(scales[k]));
    for (int l = 0; l < 16; ++l) {
      const int i = k * 16 + l, h = i / 128, r = i % 128;
      const int lo = (ql[h * 64 + r % 64] >> (4 * (r / 64))) & 0x0F;
      const int hi = (qh[h * 32 + r % 32] >> (2 * (r / 32))) & 0x03;
      y[i] = dl * static_cast<float>((lo | (hi << 4)) - 32);
    }
  }
}

}  // namespace mwt::detail::quant
