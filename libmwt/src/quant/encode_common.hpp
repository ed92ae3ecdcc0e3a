// Small steps the block encoders share (quantize_legacy.cpp, quantize_k.cpp,
// quantize_ternary_mx.cpp): storing an f16 field, and numpy's float32 rounding and casting
// rules, which the gguf-py-identical encoders must repeat exactly. Scalar-reference code only:
// not for the ISA-specific kernel files.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/float_convert.hpp"

namespace mwt::detail::quant {

// v as an f16 (nearest-even, overflow to Inf), little-endian at p.
inline void store_f16(uint8_t* p, float v) noexcept {
  const uint16_t h = f32_to_f16(v);
  p[0] = static_cast<uint8_t>(h & 0xFF);
  p[1] = static_cast<uint8_t>(h >> 8);
}

// numpy's float32 -> int8/uint8 astype: truncation toward zero, keeping the low 8 bits of the
// 32-bit integer. NaN, +-Inf and values outside int32 become 0 (the x86 conversion yields
// INT32_MIN, whose low byte is 0). With finite inputs such values arise only when 1 / d
// overflows (d subnormal) or max - min overflows float32; the tests compare those with gguf-py.
inline uint8_t np_cast_u8(float v) noexcept {
  if (!(v > -2147483648.0f && v < 2147483648.0f)) return 0;
  return static_cast<uint8_t>(static_cast<uint32_t>(static_cast<int32_t>(v)));
}

// gguf-py's np_roundf: floor(|v|) + floor(2 * frac(|v|)) with the sign of v, i.e. round half
// away from zero (NaN stays NaN).
inline float np_roundf(float v) noexcept {
  const float a = std::fabs(v);
  const float fl = std::floor(a);
  const float r = fl + std::floor(2.0f * (a - fl));
  return v < 0.0f ? -r : r;
}

}  // namespace mwt::detail::quant
