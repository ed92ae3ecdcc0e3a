// Element conversions between F32 and the small float formats (F16, BF16, the five F8 formats)
// plus F64. Decoding to F32 is exact for every format but F64 (which rounds to nearest-even);
// encoding from F32 rounds to nearest, ties to even, with each format's own overflow rule:
//   F16, F8_E5M2            -> +-Inf          (IEEE-style formats with an infinity)
//   F8_E4M3 (E4M3FN)        -> +-448          (no infinity: saturates, +-Inf included)
//   F8_E4M3FNUZ, E5M2FNUZ   -> NaN (0x80)     (no infinity, no -0: -0 encodes as +0)
//   F8_E8M0 (E8M0FNU)       -> scale format: unsigned power of two; the F32 exponent rounds up
//                              when a normal input's mantissa is >= 1.5 (subnormals: > half);
//                              NaN/Inf and overflow -> 0xFF (NaN);
//                              the sign is ignored
//   BF16                    -> Inf (overflow of the rounding carries into the exponent)
// NaN inputs give the canonical quiet NaN: sign|0x7E00 for F16, 0x7FC0 for BF16.
// These are the rules torch's tensor conversions (Tensor.to) apply; tests check them against
// torch bit for bit.
#pragma once
#include <cstdint>

#include "core/dtype.hpp"

namespace mwt::detail {

// True for the dtypes convert_to_f32 / convert_from_f32 accept.
bool is_convertible_float(DType d) noexcept;

// n elements; src and dst must not overlap. BAD_DTYPE for a dtype that is not convertible
// (integers, quantized blocks, F4/F6/C64).
void convert_to_f32(DType src_dtype, const void* src, uint64_t n, float* dst);
void convert_from_f32(DType dst_dtype, const float* src, uint64_t n, void* dst);

// Single-value helpers (exposed for tests and other layers).
float f16_to_f32(uint16_t h) noexcept;
uint16_t f32_to_f16(float f) noexcept;
float bf16_to_f32(uint16_t b) noexcept;
uint16_t f32_to_bf16(float f) noexcept;
float f8_to_f32(DType fmt, uint8_t v) noexcept;  // fmt is one of the F8 dtypes
uint8_t f32_to_f8(DType fmt, float f) noexcept;

}  // namespace mwt::detail
