// The original ggml block types (32 values per block): Q4_0, Q4_1, Q5_0, Q5_1, Q8_0.
// Within a block, value j < 16 comes from the low nibble of qs[j] and value j + 16 from its high
// nibble; the 5-bit types take bit 4 of value j from bit j of the little-endian u32 qh.
// Arithmetic is float32 in gguf-py's order: d * q for the symmetric types, d * q + m for the
// ones with a minimum.
#include "quant/block_kernels.hpp"

namespace mwt::detail::quant {
namespace {

// Value j of a legacy block: nibble j % 16 of qs (low nibbles first), with bit 4 from bit j of
// qh when qh is given (the 5-bit types).
inline int legacy_q(const uint8_t* qs, uint32_t qh, int j) noexcept {
  const int nibble = j < 16 ? qs[j] & 0x0F : qs[j - 16] >> 4;
  return nibble | static_cast<int>(((qh >> j) & 1u) << 4);
}

}  // namespace

void decode_q4_0(const uint8_t* b, float* y) {
  using B = BlockQ4_0;
  const float d = load_f16(b + B::d.at);
  for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(legacy_q(b + B::qs.at, 0, j) - 8);
}

void decode_q4_1(const uint8_t* b, float* y) {
  using B = BlockQ4_1;
  const float d = load_f16(b + B::d.at), m = load_f16(b + B::m.at);
  for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(legacy_q(b + B::qs.at, 0, j)) + m;
}

void decode_q5_0(const uint8_t* b, float* y) {
  using B = BlockQ5_0;
  const float d = load_f16(b + B::d.at);
  const uint32_t qh = load_u32(b + B::qh.at);
  for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(legacy_q(b + B::qs.at, qh, j) - 16);
}

void decode_q5_1(const uint8_t* b, float* y) {
  using B = BlockQ5_1;
  const float d = load_f16(b + B::d.at), m = load_f16(b + B::m.at);
  const uint32_t qh = load_u32(b + B::qh.at);
  for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(legacy_q(b + B::qs.at, qh, j)) + m;
}

void decode_q8_0(const uint8_t* b, float* y) {
  using B = BlockQ8_0;
  const float d = load_f16(b + B::d.at);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(static_cast<int8_t>(b[B::qs.at + j])) * d;
}

}  // namespace mwt::detail::quant
