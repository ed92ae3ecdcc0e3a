// The byte layouts of the ggml block types (docs/quant-blocks.md; the block_* structs of
// ggml-common.h): one struct per type naming the offset and size of each field, plus the few
// value tables and bit-field unpackings more than one codec needs. Every scalar decoder and
// encoder, every ISA kernel and the tests address block fields through these names; the block
// size and byte count come from the dtype table (core/dtype.hpp), and a static_assert per type
// checks that its fields tile exactly that many bytes.
//
// Offsets, not structs laid over the bytes: the codecs read blocks at any byte address with
// explicit little-endian loads. Casting those bytes to a struct with uint16_t members would be
// undefined behaviour (alignment, strict aliasing) and packing attributes are compiler
// extensions, so a field stays "block pointer + Block::field.at".
//
// Included by baseline translation units and by the -mavx2 ones (quant/x86_avx2/). An inline
// function with external linkage compiled in both kinds would be one symbol whose copy the
// linker picks at random, possibly the AVX2 one for baseline callers. So everything here with
// external linkage is constant data or consteval (never emitted as code), and the shared scalar
// helpers are `static inline`: each translation unit gets its own copy, compiled with its own
// flags. They must not be called from an inline function with external linkage (that function
// would then differ between translation units, an ODR violation).
#pragma once
#include <cstdint>
#include <cstring>

#include "core/dtype.hpp"

namespace mwt::detail::quant {

// One field of a block: `size` bytes at byte offset `at`.
struct Field {
  uint32_t at, size;
  consteval uint32_t end() const { return at + size; }
};
// The field of `size` bytes right after `prev`.
consteval Field after(Field prev, uint32_t size) { return {prev.end(), size}; }

// Block size and bytes of dtype T, from the dtype table. (Looked up in default template
// arguments: clang 14 rejects a consteval call on a template parameter inside the class.)
template <DType T, uint32_t Elems = static_dtype_info(T).block_elems,
          uint32_t Bytes = static_dtype_info(T).block_bytes>
struct BlockOf {
  static constexpr DType kType = T;
  static constexpr uint32_t kElems = Elems;
  static constexpr uint32_t kBytes = Bytes;
};

// ------------------------------------------------------------------ legacy (32 values)
// f16 d (and f16 m); for the 5-bit types a little-endian u32 qh holding bit 4 of value j in bit
// j; 16 bytes qs: value j < 16 in the low nibble of qs[j], value j + 16 in the high nibble.
struct BlockQ4_0 : BlockOf<DType::Q4_0> {
  static constexpr Field d{0, 2}, qs = after(d, 16);
};
struct BlockQ4_1 : BlockOf<DType::Q4_1> {
  static constexpr Field d{0, 2}, m = after(d, 2), qs = after(m, 16);
};
struct BlockQ5_0 : BlockOf<DType::Q5_0> {
  static constexpr Field d{0, 2}, qh = after(d, 4), qs = after(qh, 16);
};
struct BlockQ5_1 : BlockOf<DType::Q5_1> {
  static constexpr Field d{0, 2}, m = after(d, 2), qh = after(m, 4), qs = after(qh, 16);
};
// f16 d, 32 int8 qs.
struct BlockQ8_0 : BlockOf<DType::Q8_0> {
  static constexpr Field d{0, 2}, qs = after(d, 32);
};
// Activations only (no codec here): f16 d, f16 s = d * sum(qs), 32 int8 qs.
struct BlockQ8_1 : BlockOf<DType::Q8_1> {
  static constexpr Field d{0, 2}, s = after(d, 2), qs = after(s, 32);
};
static_assert(BlockQ4_0::qs.end() == BlockQ4_0::kBytes);
static_assert(BlockQ4_1::qs.end() == BlockQ4_1::kBytes);
static_assert(BlockQ5_0::qs.end() == BlockQ5_0::kBytes);
static_assert(BlockQ5_1::qs.end() == BlockQ5_1::kBytes);
static_assert(BlockQ8_0::qs.end() == BlockQ8_0::kBytes);
static_assert(BlockQ8_1::qs.end() == BlockQ8_1::kBytes);

// ------------------------------------------------------------------ K-quants (256 values)
// 16 bytes scales (low nibble scale, high nibble min, one per 16 values); 64 bytes qs of 2-bit
// values (q2_field); f16 d; f16 dmin.
struct BlockQ2_K : BlockOf<DType::Q2_K> {
  static constexpr Field scales{0, 16}, qs = after(scales, 64), d = after(qs, 2),
                                        dmin = after(d, 2);
};
// 32 bytes hmask (bit 2 of value i: bit i / 32 of hmask[i % 32], set = no -4); 64 bytes qs as
// Q2_K; 12 bytes of sixteen 6-bit scales (q3_k_scale); f16 d.
struct BlockQ3_K : BlockOf<DType::Q3_K> {
  static constexpr Field hmask{0, 32}, qs = after(hmask, 64), scales = after(qs, 12),
                                       d = after(scales, 2);
};
// f16 d; f16 dmin; 12 bytes of eight 6-bit scales and mins (unpack_scale_min_k4); 128 bytes qs:
// per 64 values, 32 low nibbles then the 32 high nibbles of the same bytes.
struct BlockQ4_K : BlockOf<DType::Q4_K> {
  static constexpr Field d{0, 2}, dmin = after(d, 2), scales = after(dmin, 12),
                                  qs = after(scales, 128);
};
// As Q4_K with 32 bytes qh before qs: bit 4 of value i is bit i / 32 of qh[i % 32].
struct BlockQ5_K : BlockOf<DType::Q5_K> {
  static constexpr Field d{0, 2}, dmin = after(d, 2), scales = after(dmin, 12),
                                  qh = after(scales, 32), qs = after(qh, 128);
};
// 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 int8 scales, f16 d.
struct BlockQ6_K : BlockOf<DType::Q6_K> {
  static constexpr Field ql{0, 128}, qh = after(ql, 64), scales = after(qh, 16),
                                     d = after(scales, 2);
};
// Activations only: f32 d, 256 int8 qs, 16 int16 bsums (sums of 16 values each).
struct BlockQ8_K : BlockOf<DType::Q8_K> {
  static constexpr Field d{0, 4}, qs = after(d, 256), bsums = after(qs, 32);
};
static_assert(BlockQ2_K::dmin.end() == BlockQ2_K::kBytes);
static_assert(BlockQ3_K::d.end() == BlockQ3_K::kBytes);
static_assert(BlockQ4_K::qs.end() == BlockQ4_K::kBytes);
static_assert(BlockQ5_K::qs.end() == BlockQ5_K::kBytes);
static_assert(BlockQ6_K::d.end() == BlockQ6_K::kBytes);
static_assert(BlockQ8_K::bsums.end() == BlockQ8_K::kBytes);

// ------------------------------------------------------------------ value-table types
// f16 d; 16 bytes qs of indices into kValuesIq4nl, in Q4_0's nibble order.
struct BlockIQ4_NL : BlockOf<DType::IQ4_NL> {
  static constexpr Field d{0, 2}, qs = after(d, 16);
};
// f16 d; u16 scales_h (bits 2k..2k+1: high bits of scale k); 4 bytes scales_l (nibble k % 2 of
// byte k / 2: low bits of scale k); 128 bytes qs, 16 per 32-value sub-block in Q4_0's order.
struct BlockIQ4_XS : BlockOf<DType::IQ4_XS> {
  static constexpr Field d{0, 2}, scales_h = after(d, 2), scales_l = after(scales_h, 4),
                                  qs = after(scales_l, 128);
};
// u8 e (E8M0 exponent); 16 bytes qs of indices into kValuesFp4x2, in Q4_0's nibble order.
struct BlockMXFP4 : BlockOf<DType::MXFP4> {
  static constexpr Field e{0, 1}, qs = after(e, 16);
};
// 4 unsigned-E4M3 scale bytes d (one per 16 values); 32 bytes qs, 8 per 16-value sub-block: low
// nibbles its first 8 values, high nibbles its next 8.
struct BlockNVFP4 : BlockOf<DType::NVFP4> {
  static constexpr Field d{0, 4}, qs = after(d, 32);
};
static_assert(BlockIQ4_NL::qs.end() == BlockIQ4_NL::kBytes);
static_assert(BlockIQ4_XS::qs.end() == BlockIQ4_XS::kBytes);
static_assert(BlockMXFP4::qs.end() == BlockMXFP4::kBytes);
static_assert(BlockNVFP4::qs.end() == BlockNVFP4::kBytes);

// ------------------------------------------------------------------ ternary (256 values)
// 48 bytes qs (five trits per byte), 4 bytes qh (four trits per byte), f16 d.
struct BlockTQ1_0 : BlockOf<DType::TQ1_0> {
  static constexpr Field qs{0, 48}, qh = after(qs, 4), d = after(qh, 2);
};
// 64 bytes qs of 2-bit values (q2_field order), f16 d.
struct BlockTQ2_0 : BlockOf<DType::TQ2_0> {
  static constexpr Field qs{0, 64}, d = after(qs, 2);
};
static_assert(BlockTQ1_0::d.end() == BlockTQ1_0::kBytes);
static_assert(BlockTQ2_0::d.end() == BlockTQ2_0::kBytes);

// ------------------------------------------------------------------ IQ grid types (256 values)
// f16 d; 8 groups of 32 values, each two little-endian u32: four 8-bit grid indices, then four
// 7-bit sign indices and a 4-bit scale on top.
struct BlockIQ2_XXS : BlockOf<DType::IQ2_XXS> {
  static constexpr Field d{0, 2}, qs = after(d, 64);
};
// f16 d; 32 u16 qs (9-bit grid index, 7-bit sign index); 8 bytes of 4-bit scales.
struct BlockIQ2_XS : BlockOf<DType::IQ2_XS> {
  static constexpr Field d{0, 2}, qs = after(d, 64), scales = after(qs, 8);
};
// f16 d; 32 bytes qs (low 8 index bits); 32 sign bytes; 8 bytes qh (2 high index bits per
// entry); 8 bytes of 4-bit scales. (ggml's qs[64] holds qs and signs back to back.)
struct BlockIQ2_S : BlockOf<DType::IQ2_S> {
  static constexpr Field d{0, 2}, qs = after(d, 32), signs = after(qs, 32), qh = after(signs, 8),
                                  scales = after(qh, 8);
};
// f16 d; 64 bytes qs (8-bit indices of 4-value entries); 8 u32 per 32 values: four 7-bit sign
// indices and a 4-bit scale on top. (ggml's qs[96] holds both back to back.)
struct BlockIQ3_XXS : BlockOf<DType::IQ3_XXS> {
  static constexpr Field d{0, 2}, qs = after(d, 64), scales_signs = after(qs, 32);
};
// f16 d; 64 bytes qs (low 8 index bits); 8 bytes qh (9th bits); 32 sign bytes; 4 bytes of 4-bit
// scales (one per 32 values).
struct BlockIQ3_S : BlockOf<DType::IQ3_S> {
  static constexpr Field d{0, 2}, qs = after(d, 64), qh = after(qs, 8), signs = after(qh, 32),
                                  scales = after(signs, 4);
};
// f16 d; 32 bytes qs (low 8 index bits); 8 u16 qh, one per 32 values: four 3-bit high index
// parts, a 3-bit scale (bits 12-14) and the delta sign (bit 15).
struct BlockIQ1_S : BlockOf<DType::IQ1_S> {
  static constexpr Field d{0, 2}, qs = after(d, 32), qh = after(qs, 16);
};
// 32 bytes qs; 16 bytes qh (a nibble per 8 values: 3 high index bits, delta sign in bit 3);
// 4 u16 scales: four 3-bit scales each, and the f16 super-scale spread over their top nibbles
// (word w holds bits 4w..4w+3 of it).
struct BlockIQ1_M : BlockOf<DType::IQ1_M> {
  static constexpr Field qs{0, 32}, qh = after(qs, 16), scales = after(qh, 8);
};
static_assert(BlockIQ2_XXS::qs.end() == BlockIQ2_XXS::kBytes);
static_assert(BlockIQ2_XS::scales.end() == BlockIQ2_XS::kBytes);
static_assert(BlockIQ2_S::scales.end() == BlockIQ2_S::kBytes);
static_assert(BlockIQ3_XXS::scales_signs.end() == BlockIQ3_XXS::kBytes);
static_assert(BlockIQ3_S::scales.end() == BlockIQ3_S::kBytes);
static_assert(BlockIQ1_S::qh.end() == BlockIQ1_S::kBytes);
static_assert(BlockIQ1_M::scales.end() == BlockIQ1_M::kBytes);

// ------------------------------------------------------------------ value tables (data)
// ggml's kvalues_iq4nl, aligned for the 16-byte shuffle loads of the AVX2 kernels.
alignas(16) inline constexpr int8_t kValuesIq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                                        1,    13,   25,  38,  53,  69,  89,  113};
// The E2M1 (FP4: sign, 2-bit exponent, 1-bit mantissa) values times two, so every entry is an
// integer: the value table of MXFP4 and NVFP4.
alignas(16) inline constexpr int8_t kValuesFp4x2[16] = {0, 1,  2,  3,  4,  6,  8,  12,
                                                        0, -1, -2, -3, -4, -6, -8, -12};

// ------------------------------------------------------------------ shared bit-field helpers
// Internal linkage on purpose; see the header comment.

// Q4_K / Q5_K: eight 6-bit scales and eight 6-bit mins packed in 12 bytes. Bytes 0-3 hold the
// low 6 bits of scales 0-3 (top 2 bits: high bits of scales 4-7), bytes 4-7 the same for the
// mins, bytes 8-11 the low 4 bits of scales 4-7 (low nibble) and mins 4-7 (high nibble).
static inline void unpack_scale_min_k4(const uint8_t* s, int* sc, int* mn) noexcept {
  for (int j = 0; j < 4; ++j) {
    sc[j] = s[j] & 63;
    mn[j] = s[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    sc[j] = (s[j + 4] & 0x0F) | ((s[j - 4] >> 2) & 0x30);
    mn[j] = (s[j + 4] >> 4) | ((s[j] >> 2) & 0x30);
  }
}
// The inverse (sc and mn in [0, 63]).
static inline void pack_scale_min_k4(const int* sc, const int* mn, uint8_t* s) noexcept {
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
    s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
  }
}

// Q3_K scale k (of 16), unbiased: low 4 bits from nibble k / 8 of scales[k % 8], high 2 bits
// from field k / 4 of scales[8 + k % 4], minus 32.
static inline int q3_k_scale(const uint8_t* scales, int k) noexcept {
  const int lo = (scales[k % 8] >> (4 * (k / 8))) & 0x0F;
  const int hi = (scales[8 + k % 4] >> (2 * (k / 4))) & 0x03;
  return (lo | (hi << 4)) - 32;
}

// Value i (of 256) of a 64-byte array of 2-bit fields (Q2_K, Q3_K, TQ2_0): field (i % 128) / 32
// of byte (i / 128) * 32 + i % 32.
static inline int q2_field(const uint8_t* qs, int i) noexcept {
  return (qs[(i / 128) * 32 + i % 32] >> (2 * ((i % 128) / 32))) & 3;
}
// The inverse: ors v (0..3) into a zeroed array.
static inline void put_q2_field(uint8_t* qs, int i, int v) noexcept {
  qs[(i / 128) * 32 + i % 32] |= static_cast<uint8_t>((v & 3) << (2 * ((i % 128) / 32)));
}

// Half the MXFP4 E8M0 scale 2^(e - 127), i.e. 2^(e - 128), as float32 bits. e = 0 and 1 land
// in the subnormal range and are spelled as bit patterns; e = 255 (E8M0's NaN) decodes like the
// others, as ggml does.
static inline float e8m0_half(uint8_t e) noexcept {
  const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace mwt::detail::quant
