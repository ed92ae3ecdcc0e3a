// AVX2 search kernels of the K-quant encoders Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (compiled with
// -mavx2 -mfma -mf16c -ffp-contract=off; run only when core/isa.hpp selected avx2). They replace
// the scalar kernels of quant/quantize_k.cpp through quant/quantize_k.hpp and give the same
// results bit for bit, so the encoded bytes are the scalar encoder's
// (tests/cpp/test_quantize_simd.cpp checks it): the vector lanes are the independent candidates
// of one search (candidate grids, or integer (scale, offset) pairs), never the terms of one sum,
// so every lane does the reference's double and float operations in its order, one IEEE rounding
// each, with the sums taken value by value as the reference takes them:
//   - round_clamped is the clamp, then an exact add-and-truncate (round_half_away);
//   - the fit's sums of w and w * x, the same for every candidate, are taken once, in order;
//   - the branches of fit_line and the a != 0 / d * sc == 0 tests become per-lane selects, with
//     the unselected lane results (possibly Inf or NaN) discarded;
//   - the float32 reconstruction d * sc * q - dmin * mn runs on float lanes;
//   - the super-block error's terms are formed on four lanes and summed in value order.
// Finite inputs only (the dispatcher checks). Raw intrinsics, no standard-library templates
// (see dequant_avx2.cpp).
#include <immintrin.h>

#include <cstdint>

#include "quant/kernel_table.hpp"
#include "quant/quantize_k.hpp"

namespace mwt::detail::kernels::avx2 {
namespace {

constexpr int kSuper = 256;

// Round half away from zero on four lanes, |v| <= 2^51: trunc(v + copysign(c, v)) with
// c = 1/2 - 2^-54, the double below 1/2. For v >= 0 let k = floor(v + 1/2), the wanted value.
// From below: a tie v = k - 1/2 gives v + c = k - 2^-54, which rounds to k (it lies within
// half a spacing of k; for k = 1 exactly half, and the tie goes to the even 1.0); any other
// v >= 1/4 is at least 2^-54 above k - 1/2, so v + c >= k; for v < 1/4, k = 0. From above:
// v < k + 1/2 is at least one spacing s of the doubles just below k + 1 under k + 1/2 (v and
// those doubles share a binade, or v < 1 and the sum stays below 2; for k = 0 it is at most
// 1 - 2^-53), so v + c <= k + 1 - s - 2^-54 rounds to at most k + 1 - s. Negative v mirror
// this (rounding to nearest is symmetric).
// A v in (-1/2, 0] gives -0 where the reference has 0: no result sees the sign of that zero
// (w * q and w * q * x add a zero to a sum that is never -0; a * q + b and d * sc * q - m change
// only by the sign of a zero, so only a zero residual's sign, which is squared away).
inline __m256d round_half_away(__m256d v) noexcept {
  const __m256d c =
      _mm256_or_pd(_mm256_and_pd(v, _mm256_set1_pd(-0.0)), _mm256_set1_pd(0.49999999999999994));
  return _mm256_round_pd(_mm256_add_pd(v, c), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}
// quantize_k.cpp's round_clamped (a NaN lane comes out as lo; such lanes are discarded).
inline __m256d round_clamped(__m256d v, __m256d lo, __m256d hi) noexcept {
  return round_half_away(_mm256_min_pd(_mm256_max_pd(v, lo), hi));
}

// round_clamped(v, 0, hi) for v >= +0: no lower clamp, no sign.
inline __m256d round_clamped_nonneg(__m256d v, __m256d hi) noexcept {
  v = _mm256_min_pd(v, hi);
  return _mm256_round_pd(_mm256_add_pd(v, _mm256_set1_pd(0.49999999999999994)),
                         _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
}

inline __m256d select(__m256d mask, __m256d if_true, __m256d if_false) noexcept {
  return _mm256_blendv_pd(if_false, if_true, mask);
}

// The sums of fit_line that depend on the candidate's integers q.
struct LineSums {
  __m256d sq, sqq, sqx;
};

// Adds value (x, w, q)'s terms to the sums, as fit_line does.
inline void add_term(LineSums& s, double w, double x, __m256d q) noexcept {
  const __m256d wq = _mm256_mul_pd(_mm256_set1_pd(w), q);
  s.sq = _mm256_add_pd(s.sq, wq);
  s.sqq = _mm256_add_pd(s.sqq, _mm256_mul_pd(wq, q));
  s.sqx = _mm256_add_pd(s.sqx, _mm256_mul_pd(wq, _mm256_set1_pd(x)));
}

// fit_line's update of (a, b) from its sums, lane by lane.
inline void fit_line(const LineSums& s, double sw, double sx, bool with_offset, __m256d& a,
                     __m256d& b) noexcept {
  const __m256d zero = _mm256_setzero_pd();
  const __m256d alt_a =
      select(_mm256_cmp_pd(s.sqq, zero, _CMP_GT_OQ), _mm256_div_pd(s.sqx, s.sqq), a);
  if (!with_offset) {
    a = alt_a;
    return;
  }
  const __m256d vsw = _mm256_set1_pd(sw), vsx = _mm256_set1_pd(sx);
  const __m256d det = _mm256_sub_pd(_mm256_mul_pd(vsw, s.sqq), _mm256_mul_pd(s.sq, s.sq));
  const __m256d na =
      _mm256_div_pd(_mm256_sub_pd(_mm256_mul_pd(vsw, s.sqx), _mm256_mul_pd(s.sq, vsx)), det);
  const __m256d nb =
      _mm256_div_pd(_mm256_sub_pd(_mm256_mul_pd(s.sqq, vsx), _mm256_mul_pd(s.sq, s.sqx)), det);
  const __m256d take =
      _mm256_and_pd(_mm256_cmp_pd(det, zero, _CMP_GT_OQ), _mm256_cmp_pd(nb, zero, _CMP_LE_OQ));
  a = select(take, na, alt_a);
  b = select(take, nb, zero);
}

// Four candidates of one search (padded with copies of the first), n <= 32 values.
struct Group {
  __m256d q[32];
  __m256d a, b;
};

// KFitCandidates for up to 4 * G candidates from k0: the G vectors advance together, value by
// value, so their sums form independent dependency chains. Without offsets the origin and b are
// +0, so x - b is x itself, and a * q + b differs from a * q at most in the sign of a zero,
// which reaches the error only as a zero residual's sign, squared away.
template <int G, bool with_offset>
void fit_groups(const double* x, const double* w, int n, int lo, int hi, double origin,
                const double* inv, int k0, int count, double sw, double sx, double* e_out,
                double* a_out, double* b_out) {
  const __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);
  const __m256d vorigin = _mm256_set1_pd(origin), zero = _mm256_setzero_pd();
  Group g[G];
  __m256d vinv[G];
  for (int v = 0; v < G; ++v) {
    double lane_inv[4];
    for (int l = 0; l < 4; ++l) {
      const int k = k0 + 4 * v + l;
      lane_inv[l] = inv[k < count ? k : k0];
    }
    vinv[v] = _mm256_loadu_pd(lane_inv);
    g[v].a = _mm256_div_pd(_mm256_set1_pd(1.0), vinv[v]);
    g[v].b = vorigin;
  }
  LineSums s[G];
  for (int v = 0; v < G; ++v) s[v] = LineSums{zero, zero, zero};
  for (int i = 0; i < n; ++i) {
    const __m256d xi = _mm256_set1_pd(x[i]);
    const __m256d xo = with_offset ? _mm256_sub_pd(xi, vorigin) : xi;
    for (int v = 0; v < G; ++v) {
      if constexpr (with_offset)  // (x - min(x, 0)) * (hi * stretch / (max - min)) >= +0
        g[v].q[i] = round_clamped_nonneg(_mm256_mul_pd(xo, vinv[v]), vhi);
      else
        g[v].q[i] = round_clamped(_mm256_mul_pd(xo, vinv[v]), vlo, vhi);
      add_term(s[v], w[i], x[i], g[v].q[i]);
    }
  }
  // Lanes with a != 0 round again with (a, b); the others keep their integers (their
  // quotients, Inf or NaN, are discarded).
  __m256d again[G];
  for (int v = 0; v < G; ++v) {
    fit_line(s[v], sw, sx, with_offset, g[v].a, g[v].b);
    again[v] = _mm256_cmp_pd(g[v].a, zero, _CMP_NEQ_UQ);
    s[v] = LineSums{zero, zero, zero};
  }
  for (int i = 0; i < n; ++i) {
    const __m256d xi = _mm256_set1_pd(x[i]);
    __m256d q2[G];
    for (int v = 0; v < G; ++v) {
      const __m256d xb = with_offset ? _mm256_sub_pd(xi, g[v].b) : xi;
      q2[v] = round_clamped(_mm256_div_pd(xb, g[v].a), vlo, vhi);
    }
    for (int v = 0; v < G; ++v) {
      g[v].q[i] = select(again[v], q2[v], g[v].q[i]);
      add_term(s[v], w[i], x[i], g[v].q[i]);
    }
  }
  for (int v = 0; v < G; ++v) fit_line(s[v], sw, sx, with_offset, g[v].a, g[v].b);
  __m256d e[G];
  for (int v = 0; v < G; ++v) e[v] = zero;
  for (int i = 0; i < n; ++i) {
    const __m256d xi = _mm256_set1_pd(x[i]), wi = _mm256_set1_pd(w[i]);
    for (int v = 0; v < G; ++v) {
      const __m256d aq = _mm256_mul_pd(g[v].a, g[v].q[i]);
      const __m256d r = _mm256_sub_pd(xi, with_offset ? _mm256_add_pd(aq, g[v].b) : aq);
      e[v] = _mm256_add_pd(e[v], _mm256_mul_pd(_mm256_mul_pd(wi, r), r));
    }
  }
  for (int v = 0; v < G; ++v) {
    double le[4], la[4], lb[4];
    _mm256_storeu_pd(le, e[v]);
    _mm256_storeu_pd(la, g[v].a);
    _mm256_storeu_pd(lb, g[v].b);
    for (int l = 0; l < 4; ++l) {
      const int k = k0 + 4 * v + l;
      if (k >= count) break;
      e_out[k] = le[l];
      a_out[k] = la[l];
      b_out[k] = lb[l];
    }
  }
}

// KFitCandidates: four candidate grids per vector, three vectors at a time.
void fit_candidates(const double* x, const double* w, int n, int lo, int hi, bool with_offset,
                    double origin, const double* inv, int count, double* e_out, double* a_out,
                    double* b_out) {
  double sw = 0, sx = 0;  // fit_line's sums of w and w * x, in its order
  for (int i = 0; i < n; ++i) {
    sw += w[i];
    sx += w[i] * x[i];
  }
  for (int k0 = 0; k0 < count; k0 += 12)
    (with_offset ? fit_groups<3, true> : fit_groups<3, false>)(x, w, n, lo, hi, origin, inv, k0,
                                                               count, sw, sx, e_out, a_out, b_out);
}

// The sub-block factors (dl, ml) of four lanes, as floats and doubles.
struct Factors {
  __m128 dlf, mlf;
  __m256d dld, mld, dl_zero;
};

inline Factors factors(__m128 dlf, __m128 mlf) noexcept {
  const __m256d dld = _mm256_cvtps_pd(dlf);
  return {dlf, mlf, dld, _mm256_cvtps_pd(mlf), _mm256_cmp_pd(dld, _mm256_setzero_pd(), _CMP_EQ_OQ)};
}

// The value nearest x on the grid of the factors of four lanes, 0 where dl == 0, and that
// value's float32 reconstruction error x - (dl * q - ml), as a double.
inline __m256d grid_error(__m256d xi, const Factors& f, __m256d vlo, __m256d vhi,
                          __m256d& q) noexcept {
  q = round_clamped(_mm256_div_pd(_mm256_add_pd(xi, f.mld), f.dld), vlo, vhi);
  q = select(f.dl_zero, _mm256_setzero_pd(), q);  // (the quotient there is Inf or NaN)
  const __m128 rec = _mm_sub_ps(_mm_mul_ps(f.dlf, _mm256_cvtpd_ps(q)), f.mlf);
  return _mm256_sub_pd(xi, _mm256_cvtps_pd(rec));
}

// KScalePairErrors: four (scale, offset) pairs per vector.
void pair_errors(const double* x, const double* w, int n, int lo, int hi, float d, float dmin,
                 const int* sc, const int* mn, int count, double* e_out) {
  const __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);
  for (int k0 = 0; k0 < count; k0 += 4) {
    float dl[4], ml[4];
    for (int l = 0; l < 4; ++l) {
      const int k = k0 + l < count ? k0 + l : k0;
      dl[l] = d * static_cast<float>(sc[k]);
      ml[l] = dmin * static_cast<float>(mn[k]);
    }
    const Factors f = factors(_mm_loadu_ps(dl), _mm_loadu_ps(ml));
    __m256d e = _mm256_setzero_pd();
    for (int i = 0; i < n; ++i) {
      __m256d q;
      const __m256d r = grid_error(_mm256_set1_pd(x[i]), f, vlo, vhi, q);
      e = _mm256_add_pd(e, _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(w[i]), r), r));
    }
    double le[4];
    _mm256_storeu_pd(le, e);
    for (int l = 0; l < 4 && k0 + l < count; ++l) e_out[k0 + l] = le[l];
  }
}

// KAssignValues: four consecutive values (of one sub-block) per vector; the error terms are
// summed in value order.
double assign_values(const double* x, const double* w, int sub_len, int lo, int hi, bool affine,
                     float d, float dmin, const int* sc, const int* mn, int* q_out) {
  const __m256d vlo = _mm256_set1_pd(lo), vhi = _mm256_set1_pd(hi);
  alignas(32) double terms[kSuper];
  for (int j = 0; j < kSuper / sub_len; ++j) {
    const float dl = d * static_cast<float>(sc[j]);
    const float ml = affine ? dmin * static_cast<float>(mn[j]) : 0.0f;
    const Factors f = factors(_mm_set1_ps(dl), _mm_set1_ps(ml));
    for (int i = j * sub_len; i < (j + 1) * sub_len; i += 4) {
      __m256d q;
      const __m256d r = grid_error(_mm256_loadu_pd(x + i), f, vlo, vhi, q);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(q_out + i), _mm256_cvtpd_epi32(q));
      _mm256_store_pd(terms + i, _mm256_mul_pd(_mm256_mul_pd(_mm256_loadu_pd(w + i), r), r));
    }
  }
  double e = 0;
  for (int i = 0; i < kSuper; ++i) e += terms[i];
  return e;
}

constexpr quant::KSearchKernels kSearch{fit_candidates, pair_errors, assign_values};

template <DType T>
void encode(const float* src, uint8_t* dst, uint64_t n_blocks, const float* w, uint64_t row_len) {
  quant::encode_k_blocks(T, kSearch, src, dst, n_blocks, w, row_len);
}

constexpr EncoderEntry kEntries[] = {
    {DType::Q2_K, encode<DType::Q2_K>}, {DType::Q3_K, encode<DType::Q3_K>},
    {DType::Q4_K, encode<DType::Q4_K>}, {DType::Q5_K, encode<DType::Q5_K>},
    {DType::Q6_K, encode<DType::Q6_K>},
};

}  // namespace

extern const EncoderList kKQuantEncoders{kEntries, sizeof(kEntries) / sizeof(kEntries[0])};

}  // namespace mwt::detail::kernels::avx2
