// Shared by the AVX2 dequantization files of this directory (and included only by them, so every
// copy of these inline helpers is compiled with the same -mavx2 -mfma -mf16c -ffp-contract=off
// flags): block field loads, byte unpacking and exact int8 -> float widening. Block layouts come
// from quant/blocks.hpp, the kernel lists' types from quant/kernel_table.hpp.
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include <xsimd/xsimd.hpp>

#include "quant/blocks.hpp"
#include "quant/kernel_table.hpp"

namespace mwt::detail::kernels::avx2 {

using F8 = xsimd::batch<float, xsimd::avx2>;

// Little-endian block fields on a little-endian CPU. F16C's conversion is exact.
inline float load_f16(const uint8_t* p) noexcept {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}
inline uint16_t load_u16(const uint8_t* p) noexcept {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t load_u32(const uint8_t* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline __m128i load64(const uint8_t* p) noexcept {
  return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
}
inline __m128i load128(const uint8_t* p) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline __m256i load256(const uint8_t* p) noexcept {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// Eight int8 (the low 8 bytes of v) as exact floats.
inline F8 widen8(__m128i v) noexcept { return F8(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v))); }

// 32 int8 in byte order -> q[0..4), eight floats each.
inline void widen32(__m256i v, F8 q[4]) noexcept {
  const __m128i a = _mm256_castsi256_si128(v), b = _mm256_extracti128_si256(v, 1);
  q[0] = widen8(a);
  q[1] = widen8(_mm_srli_si128(a, 8));
  q[2] = widen8(b);
  q[3] = widen8(_mm_srli_si128(b, 8));
}

// Per-byte logical right shift of 32 bytes by n (< 8), keeping the bits selected by mask:
// the 16-bit shift moves bits across the byte boundary only into positions the mask drops.
inline __m256i bits256(__m256i v, int n, uint8_t mask) noexcept {
  return _mm256_and_si256(_mm256_srli_epi16(v, n), _mm256_set1_epi8(static_cast<char>(mask)));
}
inline __m128i bits128(__m128i v, int n, uint8_t mask) noexcept {
  return _mm_and_si128(_mm_srli_epi16(v, n), _mm_set1_epi8(static_cast<char>(mask)));
}

// The 32 nibbles of 16 quant bytes in the legacy value order: low nibbles (values 0-15) then
// high nibbles (values 16-31).
inline __m256i legacy_nibbles(const uint8_t* qs) noexcept {
  const __m128i x = load128(qs);
  return _mm256_set_m128i(bits128(x, 4, 0x0F), bits128(x, 0, 0x0F));
}

// 32 values y[0..32) = dl * q.
inline void store32_scaled(__m256i v, F8 dl, float* y) noexcept {
  F8 q[4];
  widen32(v, q);
  for (int j = 0; j < 4; ++j) (dl * q[j]).store_unaligned(y + 8 * j);
}

}  // namespace mwt::detail::kernels::avx2
