// The content hash of analysis/stats_kernels.hpp in AVX2 registers (four 64-bit lanes, one
// 32-byte stripe per step), shared by the float kernels (x86_avx2/stats_avx2.cpp), which hash
// while the values are in registers, and the fused block kernels (stats_blocks*_avx2.cpp).
// Included by -mavx2 translation units only; internal linkage, as stats_kernels.hpp explains.
#pragma once
#include <immintrin.h>

#include <cstring>

#include "analysis/stats_kernels.hpp"

namespace mwt::detail::analysis::avx2 {

// The content hash (analysis/stats_kernels.hpp) of whole 32-byte stripes, four 64-bit lanes.
static inline __m256i hash_stripe(__m256i acc, __m256i w, const uint64_t* keys) noexcept {
  const __m256i k = _mm256_xor_si256(w, _mm256_load_si256(reinterpret_cast<const __m256i*>(keys)));
  const __m256i prod = _mm256_mul_epu32(k, _mm256_srli_epi64(k, 32));
  return _mm256_add_epi64(acc, _mm256_add_epi64(prod, w));
}

static inline __m256i scramble(__m256i acc) noexcept {
  acc = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 47));
  const __m256i prime = _mm256_set1_epi64x(static_cast<int64_t>(kHashPrime32));
  const __m256i lo = _mm256_mul_epu32(acc, prime);
  const __m256i hi = _mm256_mul_epu32(_mm256_srli_epi64(acc, 32), prime);
  return _mm256_add_epi64(lo, _mm256_slli_epi64(hi, 32));
}

inline constexpr uint64_t kHashBlock = 32 * kHashStripes;  // bytes between scrambles

static inline __m256i hash_start() noexcept {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(kHashKeys.k));
}

// Whole blocks of kHashStripes stripes at p.
static inline __m256i hash_blocks(__m256i acc, const uint8_t* p, uint64_t blocks) noexcept {
  for (uint64_t b = 0; b < blocks; ++b, p += kHashBlock) {
    for (unsigned j = 0; j < kHashStripes; ++j) {
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * j));
      acc = hash_stripe(acc, w, kHashKeys.k + 4 * j);
    }
    acc = scramble(acc);
  }
  return acc;
}

// The last n bytes at p (p starts a block) and the final value for `total` bytes in all.
static inline uint64_t hash_end(__m256i acc, const uint8_t* p, uint64_t n,
                                uint64_t total) noexcept {
  acc = hash_blocks(acc, p, n / kHashBlock);
  p += n / kHashBlock * kHashBlock;
  n %= kHashBlock;
  const uint64_t stripes = n / 32;
  for (uint64_t s = 0; s < stripes; ++s) {
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * s));
    acc = hash_stripe(acc, w, kHashKeys.k + 4 * s);
  }
  if (n % 32 != 0) {
    alignas(32) uint8_t tail[32] = {};
    std::memcpy(tail, p + 32 * stripes, n % 32);
    acc = hash_stripe(acc, _mm256_load_si256(reinterpret_cast<const __m256i*>(tail)),
                      kHashKeys.k + 4 * stripes);
  }
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc);
  return hash_finish(lanes, total);
}

}  // namespace mwt::detail::analysis::avx2
