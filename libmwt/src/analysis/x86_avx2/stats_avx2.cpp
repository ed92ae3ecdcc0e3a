// AVX2 kernels of the integrity pass (analysis/stats_kernels.hpp), compiled with -mavx2 -mfma
// -mf16c and run only after run-time dispatch chose AVX2 (core/isa.hpp). Eight values per step.
// The common run (no NaN or Inf, after the first run of a call) takes the float step: min, max,
// whether a value is +-0 (for raw floats, zeros are counted in a second pass over the runs that
// have one; decoded values count them inline), and the value minus a shift (the mean so far,
// as a float) summed and squared into float32 lanes, kFloatSteps steps per lane before the
// lanes are added into the run's double sums (docs/validation.md#accuracy). A NaN or Inf makes
// those sums non-finite, and the run is then taken again from cache with the checked step,
// which counts NaN and Inf by comparison masks and sums in double, as the first run of a call
// is. F32 / F16 / BF16 data are also hashed in the same loop, stripe by stripe, while in
// registers. Counts, min, max and the hash equal the scalar reference's (stats_kernels.cpp)
// exactly; mean and M2 are within the bound of docs/validation.md#accuracy.
#include <immintrin.h>

#include <cstring>

#include "analysis/stats_kernels.hpp"
#include "analysis/x86_avx2/stats_hash_avx2.hpp"

namespace mwt::detail::analysis::avx2 {
namespace {

// The per-run accumulators.
struct Acc {
  __m256i nan = _mm256_setzero_si256(), inf = _mm256_setzero_si256(), zero = _mm256_setzero_si256();
  __m256 min = _mm256_set1_ps(std::numeric_limits<float>::infinity());
  __m256 max = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
  __m256d sq_lo = _mm256_setzero_pd(), sq_hi = _mm256_setzero_pd();
};

inline void step(Acc& a, __m256 v) noexcept {
  const __m256 inf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
  const __m256 abs = _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF)));
  const __m256 is_nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
  const __m256 is_inf = _mm256_cmp_ps(abs, inf, _CMP_EQ_OQ);
  const __m256 is_fin = _mm256_cmp_ps(abs, inf, _CMP_LT_OQ);  // false for NaN
  const __m256 is_zero = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_EQ_OQ);
  // A true mask lane is -1: subtracting it counts one.
  a.nan = _mm256_sub_epi32(a.nan, _mm256_castps_si256(is_nan));
  a.inf = _mm256_sub_epi32(a.inf, _mm256_castps_si256(is_inf));
  a.zero = _mm256_sub_epi32(a.zero, _mm256_castps_si256(is_zero));
  a.min = _mm256_min_ps(a.min, _mm256_blendv_ps(inf, v, is_fin));
  a.max =
      _mm256_max_ps(a.max, _mm256_blendv_ps(_mm256_sub_ps(_mm256_setzero_ps(), inf), v, is_fin));
  const __m256 f = _mm256_and_ps(v, is_fin);
  const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(f));
  const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1));
  a.sum_lo = _mm256_add_pd(a.sum_lo, lo);
  a.sum_hi = _mm256_add_pd(a.sum_hi, hi);
  a.sq_lo = _mm256_fmadd_pd(lo, lo, a.sq_lo);
  a.sq_hi = _mm256_fmadd_pd(hi, hi, a.sq_hi);
}

uint64_t count_lanes(__m256i c) noexcept {
  alignas(32) uint32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), c);
  uint64_t total = 0;
  for (uint32_t x : lanes) total += x;
  return total;
}
double add_lanes(__m256d a, __m256d b) noexcept {
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(a, b));
  return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}
float min_lanes(__m256 v) noexcept {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_min_ps(m, _mm_movehl_ps(m, m));
  m = _mm_min_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}
float max_lanes(__m256 v) noexcept {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

template <RawFloat F>
__m256 load8(const uint8_t* p) noexcept {
  if constexpr (F == RawFloat::F32) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(p));
  } else {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if constexpr (F == RawFloat::F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
}

// The last n < 8 values of a run as one step over a copy padded with NaN lanes, which fall out
// of min, max and the sums; their NaN count is taken back out.
template <RawFloat F>
void step_tail(Acc& a, const uint8_t* p, uint64_t n) noexcept {
  constexpr uint64_t size = F == RawFloat::F32 ? 4 : 2;
  alignas(32) uint8_t buf[32] = {};
  std::memcpy(buf, p, n * size);
  if constexpr (F == RawFloat::F32) {
    const uint32_t qnan = 0x7FC00000u;
    for (uint64_t i = n; i < 8; ++i) std::memcpy(buf + 4 * i, &qnan, 4);
  } else {
    const uint16_t qnan = F == RawFloat::F16 ? 0x7E00 : 0x7FC0;
    for (uint64_t i = n; i < 8; ++i) std::memcpy(buf + 2 * i, &qnan, 2);
  }
  step(a, load8<F>(buf));
  const __m256i pad = _mm256_cmpgt_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                         _mm256_set1_epi32(static_cast<int>(n) - 1));
  a.nan = _mm256_add_epi32(a.nan, pad);  // pad lanes are -1: one NaN fewer each
}

// One run of count <= kStatsRun values at p with the checked step (any values).
template <RawFloat F>
RunSums checked_run(const uint8_t* p, uint64_t count) noexcept {
  constexpr uint64_t size = F == RawFloat::F32 ? 4 : 2;
  Acc a, b;  // two chains, so the double additions overlap
  uint64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    step(a, load8<F>(p + i * size));
    step(b, load8<F>(p + (i + 8) * size));
  }
  if (i + 8 <= count) {
    step(a, load8<F>(p + i * size));
    i += 8;
  }
  if (i < count) step_tail<F>(b, p + i * size, count - i);
  RunSums r;
  r.count = count;
  r.nan = count_lanes(_mm256_add_epi32(a.nan, b.nan));
  r.inf = count_lanes(_mm256_add_epi32(a.inf, b.inf));
  r.zero = count_lanes(_mm256_add_epi32(a.zero, b.zero));
  r.min = min_lanes(_mm256_min_ps(a.min, b.min));
  r.max = max_lanes(_mm256_max_ps(a.max, b.max));
  r.sum = add_lanes(_mm256_add_pd(a.sum_lo, b.sum_lo), _mm256_add_pd(a.sum_hi, b.sum_hi));
  r.sumsq = add_lanes(_mm256_add_pd(a.sq_lo, b.sq_lo), _mm256_add_pd(a.sq_hi, b.sq_hi));
  return r;
}

uint64_t content_hash(const uint8_t* p, uint64_t n) { return hash_end(hash_start(), p, n, n); }

// The float step: min, max, the zero count, and d = v - shift into a chain's sum and sum of
// squares.
struct FloatLanes {
  __m256 min, max;
  __m256i zero_bits;  // the least of the values' bits shifted left by one: 0 when some are +-0
  __m256i zero;       // or, counting inline, the +-0 values per lane
};

template <bool CountZeros>
inline void float_step(FloatLanes& a, __m256& sum, __m256& sq, __m256 v, __m256 shift) noexcept {
  a.min = _mm256_min_ps(a.min, v);
  a.max = _mm256_max_ps(a.max, v);
  if constexpr (CountZeros) {
    // A true mask lane is -1: subtracting it counts one.
    a.zero = _mm256_sub_epi32(
        a.zero, _mm256_castps_si256(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_EQ_OQ)));
  } else {
    // Integer operations (any vector pipe; a float compare shares two with min, max and add).
    const __m256i bits = _mm256_castps_si256(v);
    a.zero_bits = _mm256_min_epu32(a.zero_bits, _mm256_add_epi32(bits, bits));
  }
  const __m256 d = _mm256_sub_ps(v, shift);
  sum = _mm256_add_ps(sum, d);
  sq = _mm256_fmadd_ps(d, d, sq);
}

// The values of one 32-byte stripe: one vector of F32 into a chain, two of F16 / BF16 into
// both (BF16's values in another order, which the statistics do not see).
template <RawFloat F, bool Z>
inline void stripe_steps(FloatLanes& a, __m256& s0, __m256& q0, __m256& s1, __m256& q1, __m256i w,
                         __m256 shift) noexcept {
  if constexpr (F == RawFloat::F32) {
    float_step<Z>(a, s0, q0, _mm256_castsi256_ps(w), shift);
    (void)s1, (void)q1;
  } else if constexpr (F == RawFloat::F16) {
    float_step<Z>(a, s0, q0, _mm256_cvtph_ps(_mm256_castsi256_si128(w)), shift);
    float_step<Z>(a, s1, q1, _mm256_cvtph_ps(_mm256_extracti128_si256(w, 1)), shift);
  } else {
    const __m256i z = _mm256_setzero_si256();
    float_step<Z>(a, s0, q0, _mm256_castsi256_ps(_mm256_unpacklo_epi16(z, w)), shift);
    float_step<Z>(a, s1, q1, _mm256_castsi256_ps(_mm256_unpackhi_epi16(z, w)), shift);
  }
}

// The sum of the eight float lanes of two chains, in double: the chains added in float (one
// rounding), the lanes converted exactly.
double lanes_in_double(__m256 c0, __m256 c1) noexcept {
  const __m256 s = _mm256_add_ps(c0, c1);
  return add_lanes(_mm256_cvtps_pd(_mm256_castps256_ps128(s)),
                   _mm256_cvtps_pd(_mm256_extractf128_ps(s, 1)));
}

// The +-0 values of a whole run, counted only for runs that have one (weights rarely do).
template <RawFloat F>
uint64_t count_zeros(const uint8_t* p) noexcept {
  constexpr uint64_t size = F == RawFloat::F32 ? 4 : 2;
  __m256i zero = _mm256_setzero_si256();
  for (uint64_t i = 0; i < kStatsRun; i += 8) {
    const __m256 eq = _mm256_cmp_ps(load8<F>(p + i * size), _mm256_setzero_ps(), _CMP_EQ_OQ);
    zero = _mm256_sub_epi32(zero, _mm256_castps_si256(eq));  // a true lane is -1
  }
  return count_lanes(zero);
}

// One whole run (kStatsRun values) at p with the float step about `shift`, hashing its bytes
// into hash when H. False when the run needs the checked step: a NaN or Inf (or a float sum
// that overflowed) left a sum non-finite, or the spread is so small that float squares may
// have lost bits to underflow (docs/validation.md#accuracy). A run of one repeated value is
// exact: mean that value, M2 zero.
template <RawFloat F, bool H>
bool float_run(const uint8_t* p, float shift_f, RunSums& r, __m256i& hash) noexcept {
  constexpr uint64_t size = F == RawFloat::F32 ? 4 : 2;
  constexpr uint64_t iter_bytes = 32 * size;  // four vectors of eight values, two per chain
  constexpr uint64_t block_bytes = iter_bytes * kFloatSteps / 2;  // between flushes
  static_assert(kStatsRun * size % block_bytes == 0 && block_bytes % kHashBlock == 0);
  const __m256 shift = _mm256_set1_ps(shift_f);
  FloatLanes a{_mm256_set1_ps(std::numeric_limits<float>::infinity()),
               _mm256_set1_ps(-std::numeric_limits<float>::infinity()), _mm256_set1_epi32(-1),
               _mm256_setzero_si256()};
  __m256i h = hash;
  r.sum = r.sumsq = 0.0;
  for (uint64_t at = 0; at < kStatsRun * size; at += block_bytes) {
    // Two chains (enough to hide the add / FMA latency under the rest of the step; a third
    // and fourth spill to the stack).
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, q0 = s0, q1 = s0;
    // One iteration per four vectors: unrolled further, the compiler spills accumulators.
#pragma GCC unroll 1
    for (uint64_t i = 0; i < block_bytes; i += iter_bytes) {
      const uint8_t* q = p + at + i;
      const uint64_t stripe = (at + i) / 32 % kHashStripes;  // of its hash block
      for (uint64_t k = 0; k < iter_bytes / 32; ++k) {
        const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32 * k));
        if (F != RawFloat::F32 || k % 2 == 0)
          stripe_steps<F, !H>(a, s0, q0, s1, q1, w, shift);
        else
          stripe_steps<F, !H>(a, s1, q1, s0, q0, w, shift);
        if constexpr (H) h = hash_stripe(h, w, kHashKeys.k + 4 * (stripe + k));
      }
      if constexpr (H) {
        if ((at + i + iter_bytes) % kHashBlock == 0) h = scramble(h);
      }
    }
    r.sum += lanes_in_double(s0, s1);
    r.sumsq += lanes_in_double(q0, q1);
  }
  hash = h;
  if (!std::isfinite(r.sum) || !std::isfinite(r.sumsq)) return false;
  r.count = kStatsRun;
  r.nan = r.inf = 0;
  r.zero = 0;
  const __m256i no_zero = _mm256_cmpeq_epi32(a.zero_bits, _mm256_setzero_si256());
  // Decoded block values (the calls without a hash) hold zeros in most runs (q = 0): counted
  // inline. Raw float tensors rarely do: tested for, and counted in a second pass if present.
  if constexpr (!H)
    r.zero = count_lanes(a.zero);
  else if (!_mm256_testz_si256(no_zero, no_zero))
    r.zero = count_zeros<F>(p);
  r.min = min_lanes(a.min);
  r.max = max_lanes(a.max);
  if (r.min == r.max) {
    r.shift = r.min;
    r.sum = r.sumsq = 0.0;
    return true;
  }
  if (r.sumsq < static_cast<double>(kStatsRun) * 0x1p-100) return false;
  r.shift = shift_f;
  return true;
}

// Statistics of n values at src folded into s, and when H their bytes' content hash.
template <RawFloat F, bool H>
uint64_t stats_pass(const uint8_t* src, uint64_t n, ValueStats& s) noexcept {
  constexpr uint64_t size = F == RawFloat::F32 ? 4 : 2;
  __m256i hash = hash_start();
  uint64_t at = 0;
  for (; at + kStatsRun <= n; at += kStatsRun) {
    const uint8_t* p = src + at * size;
    RunSums r;
    bool done = false;
    if (s.finite() > 0) {
      done = float_run<F, H>(p, static_cast<float>(s.mean), r, hash);
    } else if constexpr (H) {
      hash = hash_blocks(hash, p, kStatsRun * size / kHashBlock);
    }
    if (!done) r = checked_run<F>(p, kStatsRun);
    fold_run(s, r);
  }
  if (at < n) fold_run(s, checked_run<F>(src + at * size, n - at));
  if constexpr (!H) return 0;
  return hash_end(hash, src + at * size, (n - at) * size, n * size);
}

template <RawFloat F>
void value_stats(const uint8_t* src, uint64_t n, ValueStats& s) {
  stats_pass<F, false>(src, n, s);
}
template <RawFloat F>
uint64_t value_stats_hashed(const uint8_t* src, uint64_t n, ValueStats& s) {
  return stats_pass<F, true>(src, n, s);
}

}  // namespace

const StatsKernels kStatsKernels = {value_stats<RawFloat::F32>,
                                    value_stats<RawFloat::F16>,
                                    value_stats<RawFloat::BF16>,
                                    value_stats_hashed<RawFloat::F32>,
                                    value_stats_hashed<RawFloat::F16>,
                                    value_stats_hashed<RawFloat::BF16>,
                                    content_hash,
                                    kBlockStatsKernels,
                                    kBlockStatsKernelCount};

}  // namespace mwt::detail::analysis::avx2
