// Encoders of the original ggml block types (32 values per block), following gguf-py's numpy
// quantize_blocks step by step in float32 (every intermediate numpy array there is float32):
//   Q8_0  d = amax / 127, q = round-half-away(x * id)                      (int8)
//   Q4_0  d = max / -8,   q = min(15, trunc(x * id + 8.5))                 (max: the value of
//   Q5_0  d = max / -16,  q = min(31, trunc(x * id + 16.5))                 largest |x|, first)
//   Q4_1  d = (max - min) / 15, q = min(15, trunc((x - min) * id + 0.5)),  m = min
//   Q5_1  d = (max - min) / 31, q = min(31, trunc((x - min) * id + 0.5)),  m = min
// with id = (d == 0 ? 0 : 1 / d); d and m are stored as f16 (nearest-even, overflow to Inf).
// Packing: value j < 16 in the low nibble of qs[j], value j + 16 in its high nibble; the 5-bit
// types put bit 4 of value j in bit j of the little-endian u32 qh.
#include <cmath>
#include <cstdint>

#include "quant/blocks.hpp"
#include "quant/encode_common.hpp"
#include "quant/quantize.hpp"

namespace mwt::detail::quant {
namespace {

constexpr int kBlock = static_cast<int>(BlockQ4_0::kElems);  // every legacy type's block
static_assert(BlockQ4_1::kElems == kBlock && BlockQ5_0::kElems == kBlock &&
              BlockQ5_1::kElems == kBlock && BlockQ8_0::kElems == kBlock);

void store_u32(uint8_t* p, uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// 1 / d, or 0 for d == 0 (the numpy code's np.where).
float inverse_or_zero(float d) noexcept { return d == 0.0f ? 0.0f : 1.0f / d; }

// The value with the largest magnitude, the first one on ties (np.argmax of abs).
float signed_absmax(const float* x) noexcept {
  float best = x[0], best_abs = std::fabs(x[0]);
  for (int j = 1; j < kBlock; ++j) {
    const float a = std::fabs(x[j]);
    if (a > best_abs) best = x[j], best_abs = a;
  }
  return best;
}

// Block minimum and maximum with -0 ordered below +0 (IEEE 754-2019 minimum / maximum). numpy's
// min / max reductions return either zero when both occur at the extremum, depending on their
// positions and on the SIMD code numpy dispatches to; only the sign of a zero d or m can differ
// from gguf-py then (the decoded values are the same).
void min_max(const float* x, float& mn, float& mx) noexcept {
  mn = x[0];
  mx = x[0];
  for (int j = 1; j < kBlock; ++j) {
    if (x[j] < mn || (x[j] == mn && std::signbit(x[j]))) mn = x[j];
    if (x[j] > mx || (x[j] == mx && !std::signbit(x[j]))) mx = x[j];
  }
}

// q_j = min(qmax, cast(trunc(x_j * id + bias))), the symmetric types (Q4_0, Q5_0).
void symmetric_q(const float* x, float id, float bias, uint8_t qmax, uint8_t* q) noexcept {
  for (int j = 0; j < kBlock; ++j) {
    const float t = x[j] * id;
    const uint8_t v = np_cast_u8(std::trunc(t + bias));
    q[j] = v > qmax ? qmax : v;
  }
}

// q_j = min(qmax, cast(trunc((x_j - min) * id + 0.5))), the types with a minimum (Q4_1, Q5_1).
void affine_q(const float* x, float mn, float id, uint8_t qmax, uint8_t* q) noexcept {
  for (int j = 0; j < kBlock; ++j) {
    const float t = (x[j] - mn) * id;
    const uint8_t v = np_cast_u8(std::trunc(t + 0.5f));
    q[j] = v > qmax ? qmax : v;
  }
}

void pack_nibbles(const uint8_t* q, uint8_t* qs) noexcept {
  for (int j = 0; j < 16; ++j)
    qs[j] = static_cast<uint8_t>((q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4));
}

uint32_t high_bits(const uint8_t* q) noexcept {
  uint32_t qh = 0;
  for (int j = 0; j < kBlock; ++j) qh |= static_cast<uint32_t>((q[j] >> 4) & 1u) << j;
  return qh;
}

// Stores the values q of block B: the nibbles, and bit 4 into qh for the 5-bit types.
template <class B>
void store_values(const uint8_t* q, uint8_t* b) noexcept {
  if constexpr (requires { B::qh; }) store_u32(b + B::qh.at, high_bits(q));
  pack_nibbles(q, b + B::qs.at);
}

// Q4_0 / Q5_0: d = (the value of largest magnitude) / divisor, q = min(qmax, trunc(x * id + bias)).
template <class B, uint8_t kQmax>
void encode_symmetric(const float* x, float divisor, float bias, uint8_t* b) noexcept {
  const float d = signed_absmax(x) / divisor;
  uint8_t q[kBlock];
  symmetric_q(x, inverse_or_zero(d), bias, kQmax, q);
  store_f16(b + B::d.at, d);
  store_values<B>(q, b);
}

// Q4_1 / Q5_1: d = (max - min) / qmax, m = min.
template <class B, uint8_t kQmax>
void encode_affine(const float* x, uint8_t* b) noexcept {
  float mn, mx;
  min_max(x, mn, mx);
  const float d = (mx - mn) / static_cast<float>(kQmax);
  uint8_t q[kBlock];
  affine_q(x, mn, inverse_or_zero(d), kQmax, q);
  store_f16(b + B::d.at, d);
  store_f16(b + B::m.at, mn);
  store_values<B>(q, b);
}

}  // namespace

void encode_q8_0(const float* x, uint8_t* b) {
  using B = BlockQ8_0;
  float amax = 0.0f;
  for (int j = 0; j < kBlock; ++j) {
    const float a = std::fabs(x[j]);
    if (a > amax) amax = a;
  }
  const float d = amax / 127.0f;
  const float id = inverse_or_zero(d);
  store_f16(b + B::d.at, d);
  for (int j = 0; j < kBlock; ++j) b[B::qs.at + j] = np_cast_u8(np_roundf(x[j] * id));
}

void encode_q4_0(const float* x, uint8_t* b) { encode_symmetric<BlockQ4_0, 15>(x, -8.0f, 8.5f, b); }
void encode_q5_0(const float* x, uint8_t* b) {
  encode_symmetric<BlockQ5_0, 31>(x, -16.0f, 16.5f, b);
}
void encode_q4_1(const float* x, uint8_t* b) { encode_affine<BlockQ4_1, 15>(x, b); }
void encode_q5_1(const float* x, uint8_t* b) { encode_affine<BlockQ5_1, 31>(x, b); }

}  // namespace mwt::detail::quant
