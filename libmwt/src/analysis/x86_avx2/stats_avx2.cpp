// AVX2 kernels of the integrity pass (analysis/stats_kernels.hpp), compiled with -mavx2 -mfma
// -mf16c and run only after run-time dispatch chose AVX2 (core/isa.hpp). Eight values per step:
// NaN, Inf and zero lanes counted by comparison masks, finite lanes folded into min / max and,
// widened to double, into two sums and two sums of squares per half (a run without NaN or Inf,
// the common case, takes a lighter step that skips the masking); the scalar reference
// (stats_kernels.cpp) classifies the same values the same way, so counts, min and max agree
// exactly, and the sums differ only in the order of their double additions.
#include <immintrin.h>

#include <cstring>

#include "analysis/stats_kernels.hpp"

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

// The common case's accumulators: no NaN or Inf is assumed, and the largest absolute value's
// bits (non-negative int32, ordered as the floats; NaN and Inf above every finite value) tell
// afterwards whether that held. About half the work of a checked step.
struct FastAcc {
  __m256i abs_bits = _mm256_setzero_si256(), zero = _mm256_setzero_si256();
  __m256 min = _mm256_set1_ps(std::numeric_limits<float>::infinity());
  __m256 max = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
  __m256d sq_lo = _mm256_setzero_pd(), sq_hi = _mm256_setzero_pd();
};

inline void fast_step(FastAcc& a, __m256 v) noexcept {
  const __m256i bits = _mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x7FFFFFFF));
  a.abs_bits = _mm256_max_epi32(a.abs_bits, bits);
  a.zero = _mm256_sub_epi32(a.zero,
                            _mm256_castps_si256(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_EQ_OQ)));
  a.min = _mm256_min_ps(a.min, v);
  a.max = _mm256_max_ps(a.max, v);
  const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
  const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
  a.sum_lo = _mm256_add_pd(a.sum_lo, lo);
  a.sum_hi = _mm256_add_pd(a.sum_hi, hi);
  a.sq_lo = _mm256_fmadd_pd(lo, lo, a.sq_lo);
  a.sq_hi = _mm256_fmadd_pd(hi, hi, a.sq_hi);
}

int32_t max_lane_i32(__m256i v) noexcept {
  __m128i m = _mm_max_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_max_epi32(m, _mm_shuffle_epi32(m, 0x4E));
  m = _mm_max_epi32(m, _mm_shuffle_epi32(m, 0xB1));
  return _mm_cvtsi128_si32(m);
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

// The same run with the fast step over its whole steps of 8, when they hold no NaN or Inf (the
// checked step handles the tail); otherwise the run again with the checked step, from cache.
template <RawFloat F>
RunSums run(const uint8_t* p, uint64_t count) noexcept {
  constexpr uint64_t size = F == RawFloat::F32 ? 4 : 2;
  FastAcc a, b;
  const uint64_t whole = count / 8 * 8;
  uint64_t i = 0;
  for (; i + 16 <= whole; i += 16) {
    fast_step(a, load8<F>(p + i * size));
    fast_step(b, load8<F>(p + (i + 8) * size));
  }
  if (i < whole) fast_step(a, load8<F>(p + i * size));
  if (max_lane_i32(_mm256_max_epi32(a.abs_bits, b.abs_bits)) >= 0x7F800000)
    return checked_run<F>(p, count);
  RunSums r;
  r.count = whole;
  r.nan = r.inf = 0;
  r.zero = count_lanes(_mm256_add_epi32(a.zero, b.zero));
  r.min = min_lanes(_mm256_min_ps(a.min, b.min));
  r.max = max_lanes(_mm256_max_ps(a.max, b.max));
  r.sum = add_lanes(_mm256_add_pd(a.sum_lo, b.sum_lo), _mm256_add_pd(a.sum_hi, b.sum_hi));
  r.sumsq = add_lanes(_mm256_add_pd(a.sq_lo, b.sq_lo), _mm256_add_pd(a.sq_hi, b.sq_hi));
  if (whole < count) {
    const RunSums t = checked_run<F>(p + whole * size, count - whole);
    r.count += t.count;
    r.nan += t.nan;
    r.inf += t.inf;
    r.zero += t.zero;
    r.min = t.min < r.min ? t.min : r.min;
    r.max = t.max > r.max ? t.max : r.max;
    r.sum += t.sum;
    r.sumsq += t.sumsq;
  }
  return r;
}

template <RawFloat F>
void value_stats(const uint8_t* src, uint64_t n, ValueStats& s) {
  constexpr uint64_t size = F == RawFloat::F32 ? 4 : 2;
  for (uint64_t at = 0; at < n; at += kStatsRun) {
    const uint64_t count = n - at < kStatsRun ? n - at : kStatsRun;
    fold_run(s, run<F>(src + at * size, count));
  }
}

inline __m256i hash_stripe(__m256i acc, __m256i w, const uint64_t* keys) noexcept {
  const __m256i k = _mm256_xor_si256(w, _mm256_load_si256(reinterpret_cast<const __m256i*>(keys)));
  const __m256i prod = _mm256_mul_epu32(k, _mm256_srli_epi64(k, 32));
  return _mm256_add_epi64(acc, _mm256_add_epi64(prod, w));
}

inline __m256i scramble(__m256i acc) noexcept {
  acc = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 47));
  const __m256i prime = _mm256_set1_epi64x(static_cast<int64_t>(kHashPrime32));
  const __m256i lo = _mm256_mul_epu32(acc, prime);
  const __m256i hi = _mm256_mul_epu32(_mm256_srli_epi64(acc, 32), prime);
  return _mm256_add_epi64(lo, _mm256_slli_epi64(hi, 32));
}

uint64_t content_hash(const uint8_t* p, uint64_t n) {
  __m256i acc = _mm256_load_si256(reinterpret_cast<const __m256i*>(kHashKeys.k));
  const uint64_t stripes = n / 32;
  uint64_t s = 0;
  for (; s + kHashStripes <= stripes; s += kHashStripes) {
    for (unsigned j = 0; j < kHashStripes; ++j) {
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * (s + j)));
      acc = hash_stripe(acc, w, kHashKeys.k + 4 * j);
    }
    acc = scramble(acc);
  }
  for (; s < stripes; ++s) {
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * s));
    acc = hash_stripe(acc, w, kHashKeys.k + 4 * (s % kHashStripes));
  }
  if (n % 32 != 0) {
    alignas(32) uint8_t tail[32] = {};
    std::memcpy(tail, p + 32 * stripes, n % 32);
    acc = hash_stripe(acc, _mm256_load_si256(reinterpret_cast<const __m256i*>(tail)),
                      kHashKeys.k + 4 * (stripes % kHashStripes));
  }
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc);
  return hash_finish(lanes, n);
}

}  // namespace

const StatsKernels kStatsKernels = {value_stats<RawFloat::F32>, value_stats<RawFloat::F16>,
                                    value_stats<RawFloat::BF16>, content_hash};

}  // namespace mwt::detail::analysis::avx2
