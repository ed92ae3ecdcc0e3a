// Per-block scalar decoders of the ggml block types, one function per type: each reads one
// block (block_bytes bytes, fields as quant/blocks.hpp names them) and writes its block_elems
// floats. The type-traits table (quant/type_traits.cpp) registers them; the entry points own
// the size checks, so these assume whole, in-bounds blocks.
#pragma once
#include <cstdint>
#include <cstring>

#include "core/float_convert.hpp"
#include "quant/blocks.hpp"

namespace mwt::detail::quant {

using BlockDecoder = void (*)(const uint8_t* block, float* out);

// Little-endian field readers (every ggml block field is little-endian).
inline float load_f16(const uint8_t* p) noexcept {
  return f16_to_f32(static_cast<uint16_t>(p[0] | (p[1] << 8)));
}
inline uint16_t load_u16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t load_u32(const uint8_t* p) noexcept {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// dequant_legacy.cpp (32-element blocks)
void decode_q4_0(const uint8_t* b, float* y);
void decode_q4_1(const uint8_t* b, float* y);
void decode_q5_0(const uint8_t* b, float* y);
void decode_q5_1(const uint8_t* b, float* y);
void decode_q8_0(const uint8_t* b, float* y);

// dequant_k.cpp (256-element super-blocks)
void decode_q2_k(const uint8_t* b, float* y);
void decode_q3_k(const uint8_t* b, float* y);
void decode_q4_k(const uint8_t* b, float* y);
void decode_q5_k(const uint8_t* b, float* y);
void decode_q6_k(const uint8_t* b, float* y);

// dequant_codebook.cpp (4-bit indices into a fixed value table)
void decode_iq4_nl(const uint8_t* b, float* y);
void decode_iq4_xs(const uint8_t* b, float* y);
void decode_mxfp4(const uint8_t* b, float* y);
void decode_nvfp4(const uint8_t* b, float* y);  // 64 values: 4 UE4M3 scales, 32 nibble bytes

// dequant_iq.cpp (codebook grids of iq_grids.hpp)
void decode_iq2_xxs(const uint8_t* b, float* y);
void decode_iq2_xs(const uint8_t* b, float* y);
void decode_iq2_s(const uint8_t* b, float* y);
void decode_iq3_xxs(const uint8_t* b, float* y);
void decode_iq3_s(const uint8_t* b, float* y);
void decode_iq1_s(const uint8_t* b, float* y);
void decode_iq1_m(const uint8_t* b, float* y);

// dequant_ternary.cpp
void decode_tq1_0(const uint8_t* b, float* y);
void decode_tq2_0(const uint8_t* b, float* y);

}  // namespace mwt::detail::quant
