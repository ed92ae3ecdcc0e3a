// Ternary types (values in {-1, 0, 1} times an f16 scale): TQ1_0 (base-3, five trits per
// byte) and TQ2_0 (2 bits per value).
#include "quant/block_kernels.hpp"

namespace mwt::detail::quant {
namespace {

// Trit n of a TQ1_0 byte: the byte holds ceil(v * 256 / 243) for a 5-digit base-3 number v,
// so multiplying by 3^n (mod 256) brings digit n to the top, and (x * 3) >> 8 reads it.
int trit(uint8_t byte, int n) {
  static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
  const uint8_t shifted = static_cast<uint8_t>(byte * kPow3[n]);
  return ((shifted * 3) >> 8) - 1;
}

}  // namespace

// qs[48]; qh[4]; d. Values 0-159: trit n of qs[l] (l < 32) at n*32 + l; values 160-239:
// trit n of qs[32 + l] (l < 16) at 160 + n*16 + l; values 240-255: trit n (n < 4) of qh[l]
// at 240 + n*4 + l.
void decode_tq1_0(const uint8_t* b, float* y) {
  using B = BlockTQ1_0;
  const uint8_t* qs = b + B::qs.at;
  const uint8_t* qh = b + B::qh.at;
  const float d = load_f16(b + B::d.at);
  for (int n = 0; n < 5; ++n)
    for (int l = 0; l < 32; ++l) y[n * 32 + l] = d * static_cast<float>(trit(qs[l], n));
  for (int n = 0; n < 5; ++n)
    for (int l = 0; l < 16; ++l) y[160 + n * 16 + l] = d * static_cast<float>(trit(qs[32 + l], n));
  for (int n = 0; n < 4; ++n)
    for (int l = 0; l < 4; ++l) y[240 + n * 4 + l] = d * static_cast<float>(trit(qh[l], n));
}

// qs[64]; d. Value i: 2-bit field i of qs (q2_field), minus 1.
void decode_tq2_0(const uint8_t* b, float* y) {
  using B = BlockTQ2_0;
  const float d = load_f16(b + B::d.at);
  for (int i = 0; i < 256; ++i) y[i] = d * static_cast<float>(q2_field(b + B::qs.at, i) - 1);
}

}  // namespace mwt::detail::quant
