// Encoders of TQ1_0, TQ2_0 (256-value ternary super-blocks) and MXFP4 (32 values, E8M0 scale),
// following gguf-py's numpy quantize_blocks step by step in float32:
//   TQ1_0 / TQ2_0  d = max|x|, q = round-half-away(x * id) + 1 in {0, 1, 2}, d stored as f16.
//     TQ2_0: 2 bits per value, byte 32c + j holds values 128c + 32l + j at bits 2l (l = 0..3).
//     TQ1_0: base-3 digits, five per byte for the first 240 values (bytes 0..31: values j + 32m,
//            bytes 32..47: 160 + j + 16m, most significant digit first), four for the last 16
//            (qh: 240 + j + 4m, times 3), each byte then scaled to ceil(v * 256 / 243).
//   MXFP4  e = floor(log2(max|x|)) - 2 + 127 (0 when max|x| is 0), d = 2^(e - 128); each value
//          takes the index of the doubled-E2M1 table entry nearest to x / d (|d * k - x| in
//          float32, the first index on ties); value j in the low nibble of byte j, j + 16 high.
// Finite inputs only (the dispatcher checks).
#include <cmath>
#include <cstdint>

#include "quant/blocks.hpp"
#include "quant/encode_common.hpp"
#include "quant/quantize.hpp"

namespace mwt::detail::quant {
namespace {

constexpr int kTernary = static_cast<int>(BlockTQ1_0::kElems);  // values per TQ1_0 / TQ2_0 block
static_assert(BlockTQ2_0::kElems == kTernary);

// The ternary digits q + 1 (0, 1 or 2) of a ternary block, and its f16 scale field.
void ternary_digits(const float* x, uint8_t* q, uint8_t* d_field) noexcept {
  float d = 0.0f;
  for (int j = 0; j < kTernary; ++j) d = std::fmax(d, std::fabs(x[j]));
  const float id = d == 0.0f ? 0.0f : 1.0f / d;
  for (int j = 0; j < kTernary; ++j)
    q[j] = static_cast<uint8_t>(np_cast_u8(np_roundf(x[j] * id)) + 1u);
  store_f16(d_field, d);
}

}  // namespace

void encode_tq2_0(const float* x, uint8_t* b) {
  using B = BlockTQ2_0;
  uint8_t q[kTernary];
  ternary_digits(x, q, b + B::d.at);
  for (int c = 0; c < 2; ++c)
    for (int j = 0; j < 32; ++j) {
      uint8_t v = 0;
      for (int l = 0; l < 4; ++l) v |= static_cast<uint8_t>(q[128 * c + 32 * l + j] << (2 * l));
      b[B::qs.at + 32 * c + j] = v;
    }
}

void encode_tq1_0(const float* x, uint8_t* b) {
  using B = BlockTQ1_0;
  static_assert(B::qh.at == B::qs.end());  // v[0..48) fill qs, v[48..52) qh, back to back
  uint8_t q[kTernary];
  ternary_digits(x, q, b + B::d.at);
  uint16_t v[52];
  for (int j = 0; j < 32; ++j) {
    uint16_t s = 0;
    for (int m = 0; m < 5; ++m) s = static_cast<uint16_t>(s * 3 + q[32 * m + j]);
    v[j] = s;
  }
  for (int j = 0; j < 16; ++j) {
    uint16_t s = 0;
    for (int m = 0; m < 5; ++m) s = static_cast<uint16_t>(s * 3 + q[160 + 16 * m + j]);
    v[32 + j] = s;
  }
  for (int j = 0; j < 4; ++j) {
    uint16_t s = 0;
    for (int m = 0; m < 4; ++m) s = static_cast<uint16_t>(s * 3 + q[240 + 4 * m + j]);
    v[48 + j] = static_cast<uint16_t>(s * 3);
  }
  for (int j = 0; j < 52; ++j) b[B::qs.at + j] = static_cast<uint8_t>((v[j] * 256u + 242u) / 243u);
}

void encode_mxfp4(const float* x, uint8_t* b) {
  using B = BlockMXFP4;
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[j]));
  // numpy's float32 log2, then floor: log2 in double rounded to float32 (so a maximum just
  // below a power of two lands on that power, as numpy's float32 result does).
  const float log2_amax = static_cast<float>(std::log2(static_cast<double>(amax)));
  const uint8_t e = amax > 0.0f ? np_cast_u8(std::floor(log2_amax) - 2.0f + 127.0f) : uint8_t{0};
  const float d = std::ldexp(1.0f, static_cast<int>(e) - 128);  // half the E8M0 scale, exact
  b[B::e.at] = e;
  uint8_t idx[32];
  for (int j = 0; j < 32; ++j) {
    int best = 0;
    float best_err = std::fabs(d * static_cast<float>(kValuesFp4x2[0]) - x[j]);
    for (int k = 1; k < 16; ++k) {
      const float err = std::fabs(d * static_cast<float>(kValuesFp4x2[k]) - x[j]);
      if (err < best_err) best = k, best_err = err;
    }
    idx[j] = static_cast<uint8_t>(best);
  }
  for (int j = 0; j < 16; ++j) b[B::qs.at + j] = static_cast<uint8_t>(idx[j] | (idx[j + 16] << 4));
}

}  // namespace mwt::detail::quant
