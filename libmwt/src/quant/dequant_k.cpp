// K-quants (256-value super-blocks): Q2_K, Q3_K, Q4_K, Q5_K, Q6_K. Each super-block has one
// f16 scale d (and a min-scale dmin for Q2/Q4/Q5_K) and small per-sub-block integer scales.
// The per-sub-block float scale is formed first (d * sc, dmin * m) and then applied, in
// float32, as gguf-py does: y = (d*sc) * q - (dmin*m), or (d*sc) * q without a minimum.
// Field layouts and the shared scale unpacking: quant/blocks.hpp.
#include "quant/block_kernels.hpp"

namespace mwt::detail::quant {
namespace {

// Q4_K and Q5_K (B): eight sub-blocks of 32 values, y = (d * sc) * q - (dmin * m). Per 64
// values, 32 low nibbles then 32 high nibbles of the same 32 qs bytes; Q5_K takes bit 4 of
// value i from bit i / 32 of qh[i % 32].
template <class B, bool kHighBit>
void decode_k4(const uint8_t* b, float* y) {
  const float d = load_f16(b + B::d.at), dmin = load_f16(b + B::dmin.at);
  int sc[8], mn[8];
  unpack_scale_min_k4(b + B::scales.at, sc, mn);
  for (int k = 0; k < 8; ++k) {
    const float dl = d * static_cast<float>(sc[k]);
    const float ml = dmin * static_cast<float>(mn[k]);
    const uint8_t* q = b + B::qs.at + (k / 2) * 32;
    const int shift = 4 * (k % 2);
    for (int l = 0; l < 32; ++l) {
      int v = (q[l] >> shift) & 0x0F;
      if constexpr (kHighBit) v |= ((b[B::qh.at + l] >> k) & 1) << 4;
      y[k * 32 + l] = dl * static_cast<float>(v) - ml;
    }
  }
}

}  // namespace

// Sub-block i / 16 has scale d * (scales & 15) and min dmin * (scales >> 4); 2-bit values.
void decode_q2_k(const uint8_t* b, float* y) {
  using B = BlockQ2_K;
  const uint8_t* scales = b + B::scales.at;
  const float d = load_f16(b + B::d.at), dmin = load_f16(b + B::dmin.at);
  for (int k = 0; k < 16; ++k) {
    const float dl = d * static_cast<float>(scales[k] & 0x0F);
    const float ml = dmin * static_cast<float>(scales[k] >> 4);
    for (int i = k * 16; i < k * 16 + 16; ++i)
      y[i] = dl * static_cast<float>(q2_field(b + B::qs.at, i)) - ml;
  }
}

// Value i: low 2 bits as in Q2_K; bit 2 is set when bit i / 32 of hmask[i % 32] is clear,
// contributing -4. Sixteen 6-bit scales biased by 32.
void decode_q3_k(const uint8_t* b, float* y) {
  using B = BlockQ3_K;
  const uint8_t* hmask = b + B::hmask.at;
  const float d = load_f16(b + B::d.at);
  for (int k = 0; k < 16; ++k) {
    const float dl = d * static_cast<float>(q3_k_scale(b + B::scales.at, k));
    for (int i = k * 16; i < k * 16 + 16; ++i) {
      const int h = (hmask[i % 32] >> (i / 32)) & 1;
      y[i] = dl * static_cast<float>(q2_field(b + B::qs.at, i) - ((h ^ 1) << 2));
    }
  }
}

void decode_q4_k(const uint8_t* b, float* y) { decode_k4<BlockQ4_K, false>(b, y); }
void decode_q5_k(const uint8_t* b, float* y) { decode_k4<BlockQ5_K, true>(b, y); }

// Value i in half h = i / 128 (r = i % 128): low 4 bits from nibble r / 64 of ql[h*64 + r % 64],
// high 2 bits from field r / 32 of qh[h*32 + r % 32]; the 6-bit value is biased by 32; int8
// scale of sub-block i / 16.
void decode_q6_k(const uint8_t* b, float* y) {
  using B = BlockQ6_K;
  const uint8_t* ql = b + B::ql.at;
  const uint8_t* qh = b + B::qh.at;
  const float d = load_f16(b + B::d.at);
  for (int k = 0; k < 16; ++k) {
    const float dl = d * static_cast<float>(static_cast<int8_t>(b[B::scales.at + k]));
    for (int i = k * 16; i < k * 16 + 16; ++i) {
      const int h = i / 128, r = i % 128;
      const int lo = (ql[h * 64 + r % 64] >> (4 * (r / 64))) & 0x0F;
      const int hi = (qh[h * 32 + r % 32] >> (2 * (r / 32))) & 0x03;
      y[i] = dl * static_cast<float>((lo | (hi << 4)) - 32);
    }
  }
}

}  // namespace mwt::detail::quant
