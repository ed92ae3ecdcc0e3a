// What the fused block kernels of the integrity pass share (x86_avx2/stats_blocks_avx2.cpp: the
// 32-value types; stats_blocks_k_avx2.cpp: the K-quants): a run's accumulators, the running
// min / max, the slow path that decodes one block with the scalar reference decoder and takes
// its float values one by one, and the piece's content hash taken run by run while the bytes
// are in L1. docs/validation.md#fused-block-statistics says why the fast paths are exact.
// Included only by the -mavx2 translation units of this folder (all built with the same flags,
// so even the implicit members of its structs are the same code everywhere); the functions have
// internal linkage, as stats_kernels.hpp explains.
#pragma once
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "analysis/stats_kernels.hpp"
#include "analysis/x86_avx2/stats_hash_avx2.hpp"
#include "core/dtype.hpp"
#include "quant/type_traits.hpp"

namespace mwt::detail::analysis::avx2 {

// The fused kernels of stats_blocks_k_avx2.cpp (the table is in stats_blocks_avx2.cpp).
uint64_t q2_k_stats(const uint8_t* src, uint64_t n_blocks, ValueStats& s);
uint64_t q3_k_stats(const uint8_t* src, uint64_t n_blocks, ValueStats& s);
uint64_t q4_k_stats(const uint8_t* src, uint64_t n_blocks, ValueStats& s);
uint64_t q5_k_stats(const uint8_t* src, uint64_t n_blocks, ValueStats& s);
uint64_t q6_k_stats(const uint8_t* src, uint64_t n_blocks, ValueStats& s);

// The exact [min, max] of the finite values so far (of the chunk's statistics and this call).
struct Range {
  float min, max;
};

// One run's accumulators: the counts, and the sums about the shift c. The vector lanes hold
// per-(sub-)block terms the fast paths add (Σ (y - c) and kSq · Σ (y - c)^2, kSq the type's
// sub-block length); sum_s / sq_s take the values of decoded blocks.
struct BlockRun {
  double c;
  uint64_t count = 0, nan = 0, inf = 0, zero = 0;
  __m256d sum = _mm256_setzero_pd(), sq = _mm256_setzero_pd();  // two chains of each
  __m256d sum2 = _mm256_setzero_pd(), sq2 = _mm256_setzero_pd();
  double sum_s = 0.0, sq_s = 0.0;
};

static inline uint16_t load_le16(const uint8_t* p) noexcept {
  uint16_t v;
  std::memcpy(&v, p, 2);  // x86: little-endian
  return v;
}
static inline uint32_t load_le32(const uint8_t* p) noexcept {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

static inline double sum_lanes(__m256d v) noexcept {
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, v);
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

// The values of one decoded block into r, as the scalar reference takes them (NaN, Inf and
// +-0 counted; min, max and the sums over the finite values).
static inline void add_decoded(BlockRun& r, Range& rg, const float* y, uint32_t n) noexcept {
  r.count += n;
  for (uint32_t i = 0; i < n; ++i) {
    const float v = y[i];
    if (v != v) {
      ++r.nan;
      continue;
    }
    if (std::fabs(v) == std::numeric_limits<float>::infinity()) {
      ++r.inf;
      continue;
    }
    if (v == 0.0f) ++r.zero;
    if (v < rg.min) rg.min = v;
    if (v > rg.max) rg.max = v;
    const double d = static_cast<double>(v) - r.c;
    r.sum_s += d;
    r.sq_s += d * d;
  }
}

// The shift of a new run: the mean so far (0 before the first finite value).
static inline double run_shift(const ValueStats& s) noexcept {
  return s.finite() > 0 ? s.mean : 0.0;
}

// Folds r into s; sq_scale undoes the fast paths' factor on the squares (1 / kSq, exact).
static inline void fold_block_run(ValueStats& s, const BlockRun& r, const Range& rg,
                                  double sq_scale) noexcept {
  RunSums out{r.count, r.nan, r.inf, r.zero, rg.min, rg.max, 0.0, 0.0, r.c};
  out.sum = sum_lanes(_mm256_add_pd(r.sum, r.sum2)) + r.sum_s;
  out.sumsq = sum_lanes(_mm256_add_pd(r.sq, r.sq2)) * sq_scale + r.sq_s;
  fold_run(s, out);
}

// The content hash of a piece, taken in whole hash blocks as the pass reaches them.
struct HashStream {
  __m256i acc;
  uint64_t done;  // bytes hashed, a multiple of kHashBlock
};
static inline HashStream hash_stream() noexcept { return {hash_start(), 0}; }
// Hashes the whole hash blocks of base[0, end) not hashed yet.
static inline void hash_upto(HashStream& h, const uint8_t* base, uint64_t end) noexcept {
  const uint64_t n = (end - h.done) / kHashBlock;
  h.acc = hash_blocks(h.acc, base + h.done, n);
  h.done += n * kHashBlock;
}
static inline uint64_t hash_close(HashStream& h, const uint8_t* base, uint64_t total) noexcept {
  return hash_end(h.acc, base + h.done, total - h.done, total);
}

// The slow path: whole blocks decoded by the scalar reference decoder of the type, their values
// taken one by one.
struct SlowDecoder {
  quant::RowDecoder decode;
  uint32_t elems, bytes;
};
static inline SlowDecoder slow_decoder(DType t) noexcept {
  const DTypeInfo& info = *dtype_info(static_cast<uint32_t>(t));
  return {quant::type_traits(t)->to_float, info.block_elems, info.block_bytes};
}
static inline void slow_blocks(const SlowDecoder& dec, const uint8_t* p, uint64_t n, BlockRun& r,
                               Range& rg) noexcept {
  float y[256];
  for (uint64_t b = 0; b < n; ++b) {
    dec.decode(p + b * dec.bytes, y, 1);
    add_decoded(r, rg, y, dec.elems);
  }
}

// Horizontal helpers.
static inline float min8(__m256 v) noexcept {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_min_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_min_ss(m, _mm_shuffle_ps(m, m, 1)));
}
static inline float max8(__m256 v) noexcept {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps(m, m, 1)));
}

// ------------------------------------------------------------------ eight (sub-)blocks at once
// Eight (sub-)blocks of N values whose values are y = fl(dl * q - ml) (ml = 0: the symmetric
// types, y = dl * q), q integers in the type's range and dl * q exact in float32. Lane k of
// dl / ml is (sub-)block k's.
struct Lanes8 {
  __m256 dl, ml;
};

// The lanes (bit k: lane k) whose values may lie outside rg: every value of a lane is between
// its values at the lowest and the highest q (rounding is monotonic), ylo and yhi.
static inline unsigned lanes_outside(__m256 ylo, __m256 yhi, const Range& rg) noexcept {
  const __m256 lo = _mm256_min_ps(ylo, yhi), hi = _mm256_max_ps(ylo, yhi);
  const __m256 ok = _mm256_and_ps(_mm256_cmp_ps(lo, _mm256_set1_ps(rg.min), _CMP_GE_OQ),
                                  _mm256_cmp_ps(hi, _mm256_set1_ps(rg.max), _CMP_LE_OQ));
  return static_cast<unsigned>(_mm256_movemask_ps(ok)) ^ 0xFFu;
}
static inline unsigned symmetric_outside(const Lanes8& l, const Range& rg, float qlo,
                                         float qhi) noexcept {
  return lanes_outside(_mm256_mul_ps(l.dl, _mm256_set1_ps(qlo)),
                       _mm256_mul_ps(l.dl, _mm256_set1_ps(qhi)), rg);
}
static inline unsigned affine_outside(const Lanes8& l, const Range& rg, float qhi) noexcept {
  return lanes_outside(_mm256_sub_ps(_mm256_setzero_ps(), l.ml),
                       _mm256_sub_ps(_mm256_mul_ps(l.dl, _mm256_set1_ps(qhi)), l.ml), rg);
}

// Whether every lane's scale is finite (a NaN or Inf scale takes the slow path).
static inline bool symmetric_ok(const Lanes8& l) noexcept {
  const __m256 abs = _mm256_and_ps(l.dl, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF)));
  return _mm256_movemask_ps(_mm256_cmp_ps(
             abs, _mm256_set1_ps(std::numeric_limits<float>::infinity()), _CMP_LT_OQ)) == 0xFF;
}
// q in [0, qhi]: whether every fl(dl * q - ml) is exact (and so dl, ml finite): when every dl * q
// and ml is a multiple of 2^L (limit = 2^(L + 24)), |dl| qhi + |ml| < limit leaves every
// difference within float32's 24 bits.
static inline bool affine_ok(const Lanes8& l, float qhi, __m256 limit) noexcept {
  const __m256 abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  const __m256 big = _mm256_add_ps(_mm256_mul_ps(_mm256_and_ps(l.dl, abs), _mm256_set1_ps(qhi)),
                                   _mm256_and_ps(l.ml, abs));
  return _mm256_movemask_ps(_mm256_cmp_ps(big, limit, _CMP_LT_OQ)) == 0xFF;
}

// The least and greatest of the unsigned bytes whose lane-wise min and max are mn and mx.
struct QRange {
  int lo, hi;
};
static inline QRange byte_range(__m128i mn, __m128i mx) noexcept {
  const __m128i low = _mm_set1_epi16(0x00FF);
  mn = _mm_and_si128(_mm_min_epu8(mn, _mm_srli_epi16(mn, 8)), low);
  mx = _mm_and_si128(_mm_max_epu8(mx, _mm_srli_epi16(mx, 8)), low);
  const int lo = _mm_cvtsi128_si32(_mm_minpos_epu16(mn)) & 0xFFFF;
  const int hi =
      0xFFFF -
      (_mm_cvtsi128_si32(_mm_minpos_epu16(_mm_xor_si128(mx, _mm_set1_epi16(-1)))) & 0xFFFF);
  return {lo, hi};
}
static inline QRange byte_range16(__m128i v) noexcept { return byte_range(v, v); }
static inline QRange byte_range32(__m256i v) noexcept {
  const __m128i a = _mm256_castsi256_si128(v), b = _mm256_extracti128_si256(v, 1);
  return byte_range(_mm_min_epu8(a, b), _mm_max_epu8(a, b));
}

// Widens rg by the exact values of the lanes in `lanes`: those at the lane's least and greatest
// q (range(k) gives them), rounded as the decoder rounds them.
template <bool Affine, class Range8>
static inline void widen(Range& rg, const Lanes8& l, unsigned lanes, Range8 range) noexcept {
  alignas(32) float dl[8], ml[8];
  _mm256_store_ps(dl, l.dl);
  _mm256_store_ps(ml, l.ml);
  for (; lanes != 0; lanes &= lanes - 1) {
    const int k = __builtin_ctz(lanes);
    const QRange q = range(k);
    float a = dl[k] * static_cast<float>(q.lo), b = dl[k] * static_cast<float>(q.hi);
    if constexpr (Affine) {
      a -= ml[k];
      b -= ml[k];
    }
    const float lo = a < b ? a : b, hi = a < b ? b : a;
    if (lo < rg.min) rg.min = lo;
    if (hi > rg.max) rg.max = hi;
  }
}

// 2^(E - 1) for the f16 exponent field E: every product of that f16 value and an integer is a
// multiple of its ulp 2^(max(E, 1) - 25), so 2^24 ulps is the exact limit; a zero field
// constrains nothing (2^30).
static inline int f16_limit_exponent(uint16_t h) noexcept {
  if ((h & 0x7FFF) == 0) return 30;
  const int e = (h >> 10) & 0x1F;
  return (e < 1 ? 1 : e) - 1;
}
static inline __m256 limit_of_exponent(__m256i e) noexcept {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23));
}
// The limit of eight lanes whose values come from two f16 fields each (u16 lanes a, b).
static inline __m256 exact_limit_f16(__m128i a, __m128i b) noexcept {
  auto expo = [](__m128i h) {
    const __m128i mag = _mm_and_si128(h, _mm_set1_epi16(0x7FFF));
    const __m128i e = _mm_max_epi16(_mm_srli_epi16(mag, 10), _mm_set1_epi16(1));
    return _mm_blendv_epi8(_mm_sub_epi16(e, _mm_set1_epi16(1)), _mm_set1_epi16(30),
                           _mm_cmpeq_epi16(mag, _mm_setzero_si128()));
  };
  return limit_of_exponent(_mm256_cvtepu16_epi32(_mm_min_epi16(expo(a), expo(b))));
}

// N Σq² - (Σq)² per lane (int32): N² times the lane's variance of q, the same for any offset of q.
template <uint32_t N>
static inline __m256i spread(__m256i sq, __m256i sqq) noexcept {
  constexpr int kShift = N == 32 ? 5 : 4;
  static_assert(N == 32 || N == 16);
  return _mm256_sub_epi32(_mm256_slli_epi32(sqq, kShift), _mm256_mullo_epi32(sq, sq));
}

// The exact terms of eight lanes into the run (lane sums and spreads x = spread<N>): per lane,
// e = Σ(y - c) = dl Σq - N ml - N c and N Σ(y - c)^2 = dl² x + e² (the lane's M2 is dl² x / N,
// and its mean's distance from c is e / N). dl Σq - N ml is exact in double (both are multiples
// of 2^L below 2^(L + 30)); dl² is exact; each FMA rounds once.
template <uint32_t N, bool Affine>
static inline void add_terms(BlockRun& r, const Lanes8& l, __m256i sq, __m256i x) noexcept {
  const __m256d nc = _mm256_set1_pd(N * r.c), n = _mm256_set1_pd(N);
  auto half = [&](__m128 dl, __m128 ml, __m128i sqh, __m128i xh, __m256d& sum, __m256d& sqs) {
    const __m256d dld = _mm256_cvtps_pd(dl);
    const __m256d sqd = _mm256_cvtepi32_pd(sqh);
    __m256d t;
    if constexpr (Affine)
      t = _mm256_fmsub_pd(dld, sqd, _mm256_mul_pd(_mm256_cvtps_pd(ml), n));
    else
      t = _mm256_mul_pd(dld, sqd);
    const __m256d e = _mm256_sub_pd(t, nc);
    sum = _mm256_add_pd(sum, e);
    sqs = _mm256_fmadd_pd(_mm256_mul_pd(dld, dld), _mm256_cvtepi32_pd(xh), sqs);
    sqs = _mm256_fmadd_pd(e, e, sqs);
  };
  half(_mm256_castps256_ps128(l.dl), _mm256_castps256_ps128(l.ml), _mm256_castsi256_si128(sq),
       _mm256_castsi256_si128(x), r.sum, r.sq);
  half(_mm256_extractf128_ps(l.dl, 1), _mm256_extractf128_ps(l.ml, 1),
       _mm256_extracti128_si256(sq, 1), _mm256_extracti128_si256(x, 1), r.sum2, r.sq2);
  r.count += 8 * N;
}

// Symmetric lanes: the caller counted q == 0; a lane with dl == +-0 holds N zeros whatever its
// q, so it adds the rest (count_q(k, v): the q == v of lane k).
template <uint32_t N, class CountQ>
static inline void add_symmetric(BlockRun& r, const Lanes8& l, __m256i sq, __m256i x,
                                 CountQ count_q) noexcept {
  unsigned dz = static_cast<unsigned>(
      _mm256_movemask_ps(_mm256_cmp_ps(l.dl, _mm256_setzero_ps(), _CMP_EQ_OQ)));
  for (; dz != 0; dz &= dz - 1) r.zero += N - count_q(__builtin_ctz(dz), 0);
  add_terms<N, false>(r, l, sq, x);
}

// Affine lanes, q in [0, qhi]: y is zero exactly where dl * q == ml (the difference of two floats
// is 0 only when they are equal), so for at most one q per lane, ml / dl when that is an
// integer in range; every q when dl == 0 == ml.
template <uint32_t N, class CountQ>
static inline void add_affine(BlockRun& r, const Lanes8& l, __m256i sq, __m256i x, float qhi,
                              CountQ count_q) noexcept {
  // max_ps returns its second operand for a NaN first (0 / 0): that q = 0 then tests 0 == ml.
  const __m256 q0 = _mm256_min_ps(
      _mm256_max_ps(
          _mm256_round_ps(_mm256_div_ps(l.ml, l.dl), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
          _mm256_setzero_ps()),
      _mm256_set1_ps(qhi));
  unsigned hit = static_cast<unsigned>(
      _mm256_movemask_ps(_mm256_cmp_ps(_mm256_mul_ps(l.dl, q0), l.ml, _CMP_EQ_OQ)));
  if (hit != 0) {
    alignas(32) float dl[8], q[8];
    _mm256_store_ps(dl, l.dl);
    _mm256_store_ps(q, q0);
    for (; hit != 0; hit &= hit - 1) {
      const int k = __builtin_ctz(hit);
      r.zero += dl[k] == 0.0f ? N : count_q(k, static_cast<int>(q[k]));
    }
  }
  add_terms<N, true>(r, l, sq, x);
}

// Sums of eight vectors, one lane each. tree32_pairs: [Σ a0, ..., Σ a7] of the int32 lanes of
// a[8], given the first level's pairs h[j] = hadd_epi32(a[2j], a[2j + 1]). tree16: of the int16
// lanes of a[8] and b[8], [Σ a0, ..., Σ a7 | Σ b0, ..., Σ b7] as int16 (wrapping); hadd8x16
// leaves each half's sums in its own half.
static inline __m256i tree32_pairs(const __m256i h[4]) noexcept {
  const __m256i l0 = _mm256_hadd_epi32(h[0], h[1]), l1 = _mm256_hadd_epi32(h[2], h[3]);
  return _mm256_add_epi32(_mm256_permute2x128_si256(l0, l1, 0x20),
                          _mm256_permute2x128_si256(l0, l1, 0x31));
}
static inline __m256i hadd8x16(const __m256i a[8]) noexcept {
  const __m256i l0 =
      _mm256_hadd_epi16(_mm256_hadd_epi16(a[0], a[1]), _mm256_hadd_epi16(a[2], a[3]));
  const __m256i l1 =
      _mm256_hadd_epi16(_mm256_hadd_epi16(a[4], a[5]), _mm256_hadd_epi16(a[6], a[7]));
  return _mm256_hadd_epi16(l0, l1);
}
static inline __m256i tree16(const __m256i a[8], const __m256i b[8]) noexcept {
  const __m256i x = hadd8x16(a), y = hadd8x16(b);
  return _mm256_add_epi16(_mm256_permute2x128_si256(x, y, 0x20),
                          _mm256_permute2x128_si256(x, y, 0x31));
}

}  // namespace mwt::detail::analysis::avx2
