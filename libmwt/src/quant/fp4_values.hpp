// The E2M1 (FP4: sign, 2-bit exponent, 1-bit mantissa) values times two, so every entry is an
// integer: the value table of MXFP4 and NVFP4, shared by their decoders, the AVX2 kernel and the
// MXFP4 encoder. Data only (no functions), so ISA-specific files may include it.
#pragma once
#include <cstdint>

namespace mwt::detail::quant {

alignas(16) inline constexpr int8_t kValuesFp4x2[16] = {0, 1,  2,  3,  4,  6,  8,  12,
                                                       0, -1, -2, -3, -4, -6, -8, -12};

}  // namespace mwt::detail::quant
