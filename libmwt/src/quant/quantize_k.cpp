// Encoders of the K-quant super-blocks (256 values): Q2_K, Q3_K, Q4_K, Q5_K, Q6_K. There is no
// reference quantizer to match byte for byte; these are designed from the block layouts
// (docs/quant-blocks.md, quant/blocks.hpp) to keep the squared reconstruction error small:
//   1. per sub-block, a search over candidate scales: each candidate rounds the values to the
//      integer grid, a weighted least-squares fit then gives the best scale (and offset) for
//      those integers, the values are rounded again with the fit and refitted once; the fit
//      with the smallest weighted squared error wins;
//   2. the sub-block scales (and offsets) are quantized to their integer fields against a
//      super-block f16 scale d (and dmin) taken from the largest of them, each integer scale
//      (and offset) then moved one step either way when that lowers its sub-block's error;
//   3. every value is rounded to its nearest grid point under the final quantized scales (the
//      exact float32 products the decoder forms), then d (and dmin) are refitted over the whole
//      super-block by least squares, kept while the error falls.
// Weights: one non-negative weight per value (importance) or none (all 1). A sub-block whose
// weights are all zero is fitted with weights 1 (its error does not count either way).
// All searches run in double on finite float32 inputs, so every intermediate is finite; the
// f16 scales are clamped to +-65504. The output depends on the input bytes only. The inner
// loops of steps 1 to 3 are the scalar kernels below (kScalarKernels); quantize_k.hpp lets an
// ISA supply byte-identical ones.
#include "quant/quantize_k.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/float_convert.hpp"
#include "quant/blocks.hpp"
#include "quant/encode_common.hpp"
#include "quant/quantize.hpp"

namespace mwt::detail::quant {
namespace {

constexpr int kSuper = static_cast<int>(BlockQ4_K::kElems);  // QK_K, every K-quant's block
static_assert(BlockQ2_K::kElems == kSuper && BlockQ3_K::kElems == kSuper &&
              BlockQ5_K::kElems == kSuper && BlockQ6_K::kElems == kSuper);
constexpr double kF16Max = 65504.0;

// The shape of one K-quant type's code: sub-blocks of sub_len values; integer values in
// [q_lo, q_hi]; sub-block scales in [sc_lo, sc_hi]; offsets ("mins") in [0, mn_hi], or none
// when mn_hi is 0 (symmetric types: y = d * sc * q; affine: y = d * sc * q - dmin * mn).
struct Layout {
  int sub_len;
  int q_lo, q_hi;
  int sc_lo, sc_hi;
  int mn_hi;
};

constexpr Layout kQ2K{16, 0, 3, 0, 15, 15};
constexpr Layout kQ3K{16, -4, 3, -32, 31, 0};
constexpr Layout kQ4K{32, 0, 15, 0, 63, 63};
constexpr Layout kQ5K{32, 0, 31, 0, 63, 63};
constexpr Layout kQ6K{16, -32, 31, -128, 127, 0};

// A coded super-block: the f16 scales (as the float values they decode to) and the integers.
struct Coded {
  float d, dmin;
  int sc[16], mn[16];
  int q[kSuper];
};

// v rounded to f16 and back, after clamping to the f16 range (the codes never hold an Inf).
float to_f16_value(double v) noexcept {
  v = std::clamp(v, -kF16Max, kF16Max);
  return f16_to_f32(f32_to_f16(static_cast<float>(v)));
}

// Nearest integer of v within [lo, hi] (halves away from zero; v is finite): std::lround's
// result, computed inline (the truncation and v - t are exact for |v| <= 128).
int round_clamped(double v, int lo, int hi) noexcept {
  v = std::clamp(v, static_cast<double>(lo), static_cast<double>(hi));
  int t = static_cast<int>(v);
  const double f = v - static_cast<double>(t);
  if (f >= 0.5) ++t;
  if (f <= -0.5) --t;
  return t;
}

// Weighted sum of squared differences between x and a * q + b over the sub-block.
double affine_error(const double* x, const double* w, const int* q, int n, double a, double b) {
  double e = 0.0;
  for (int i = 0; i < n; ++i) {
    const double r = x[i] - (a * q[i] + b);
    e += w[i] * r * r;
  }
  return e;
}

// Least-squares a, b of x ~ a * q + b with b <= 0 (an offset the format can hold); with_offset
// false fits a alone (b = 0). Leaves a, b untouched when the system is degenerate.
void fit_line(const double* x, const double* w, const int* q, int n, bool with_offset, double& a,
              double& b) {
  double sw = 0, sq = 0, sqq = 0, sx = 0, sqx = 0;
  for (int i = 0; i < n; ++i) {
    sw += w[i];
    sq += w[i] * q[i];
    sqq += w[i] * q[i] * q[i];
    sx += w[i] * x[i];
    sqx += w[i] * q[i] * x[i];
  }
  if (with_offset) {
    const double det = sw * sqq - sq * sq;
    if (det > 0) {
      const double na = (sw * sqx - sq * sx) / det, nb = (sqq * sx - sq * sqx) / det;
      if (nb <= 0) {
        a = na;
        b = nb;
        return;
      }
    }
    b = 0;  // the unconstrained offset is positive (or undetermined): pin it at 0
  }
  if (sqq > 0) a = sqx / sqq;
}

// The scalar KFitCandidates (quantize_k.hpp): each candidate grid rounded, fitted, rounded and
// refitted once, and its error.
void fit_candidates(const double* x, const double* w, int n, int lo, int hi, bool with_offset,
                    double origin, const double* inv, int count, double* e, double* a_out,
                    double* b_out) {
  int q[32];
  for (int k = 0; k < count; ++k) {
    for (int i = 0; i < n; ++i) q[i] = round_clamped((x[i] - origin) * inv[k], lo, hi);
    double a = 1.0 / inv[k], b = origin;
    for (int pass = 0; pass < 2; ++pass) {
      fit_line(x, w, q, n, with_offset, a, b);
      if (pass == 0 && a != 0)
        for (int i = 0; i < n; ++i) q[i] = round_clamped((x[i] - b) / a, lo, hi);
    }
    e[k] = affine_error(x, w, q, n, a, b);
    a_out[k] = a;
    b_out[k] = b;
  }
}

// Best (scale, offset) of one sub-block: y = scale * q + offset, q in [lo, hi]. Affine layouts
// (lo == 0, with_offset) anchor the grid at min(x, 0); symmetric ones map the value of largest
// magnitude onto either end of the grid. Candidates stretch the grid by +-25 % in 5 % steps.
void fit_sub_block(const KSearchKernels& ks, const double* x, const double* w, int n, int lo,
                   int hi, bool with_offset, double& scale, double& offset) {
  scale = 0;
  offset = 0;
  double mn = x[0], mx = x[0], xm = x[0];
  for (int i = 1; i < n; ++i) {
    mn = std::min(mn, x[i]);
    mx = std::max(mx, x[i]);
    xm = std::fabs(x[i]) > std::fabs(xm) ? x[i] : xm;
  }
  if (with_offset) {
    mn = std::min(mn, 0.0);
    offset = mn;
    if (mx == mn) return;  // every value equals min(x, 0): all q = 0
  } else if (xm == 0) {
    return;
  }
  // Inverse scales of the candidate grids (their origin: min(x, 0) or 0), in search order.
  double inv[kKMaxCandidates];
  int count = 0;
  const int n_anchor = with_offset ? 1 : 2;
  for (int anchor = 0; anchor < n_anchor; ++anchor)
    for (int t = -5; t <= 5; ++t) {
      const double stretch = 1.0 + 0.05 * t;
      inv[count++] =
          with_offset ? hi * stretch / (mx - mn) : (anchor == 0 ? lo : hi) * stretch / xm;
    }
  double e[kKMaxCandidates], a[kKMaxCandidates], b[kKMaxCandidates];
  ks.fit(x, w, n, lo, hi, with_offset, with_offset ? mn : 0.0, inv, count, e, a, b);
  // The first candidate of least error (selects, not branches: the winner is unpredictable).
  double best = std::numeric_limits<double>::infinity();
  int won = -1;
  for (int k = 0; k < count; ++k) {
    const bool better = e[k] < best;
    best = better ? e[k] : best;
    won = better ? k : won;
  }
  if (won >= 0) {
    scale = a[won];
    offset = b[won];
  }
  if (with_offset && scale < 0) scale = 0;  // the affine scale fields are unsigned
}

// The scalar KAssignValues: every value rounded to its nearest grid point under the quantized
// sub-block factors, then the weighted squared error with the decoder's float32 reconstruction.
double assign_values(const double* x, const double* w, int sub_len, int lo, int hi, bool affine,
                     float d, float dmin, const int* sc, const int* mn, int* q) {
  for (int j = 0; j < kSuper / sub_len; ++j) {
    const float dlf = d * static_cast<float>(sc[j]);
    const double dl = dlf, ml = affine ? dmin * static_cast<float>(mn[j]) : 0.0f;
    for (int i = j * sub_len; i < (j + 1) * sub_len; ++i)
      q[i] = dl == 0 ? std::clamp(0, lo, hi) : round_clamped((x[i] + ml) / dl, lo, hi);
  }
  double e = 0;
  for (int j = 0; j < kSuper / sub_len; ++j) {
    const float dl = d * static_cast<float>(sc[j]),
                ml = affine ? dmin * static_cast<float>(mn[j]) : 0.0f;
    for (int i = j * sub_len; i < (j + 1) * sub_len; ++i) {
      const double r = x[i] - static_cast<double>(dl * static_cast<float>(q[i]) - ml);
      e += w[i] * r * r;
    }
  }
  return e;
}

// The scalar KScalePairErrors: the weighted squared error of the n values x under each integer
// scale sc[k] and offset mn[k], each value on its nearest grid point (the decoder's float32
// factors and reconstruction).
void pair_errors(const double* x, const double* w, int n, int lo, int hi, float d, float dmin,
                 const int* sc, const int* mn, int count, double* e_out) {
  for (int k = 0; k < count; ++k) {
    const float dl = d * static_cast<float>(sc[k]), ml = dmin * static_cast<float>(mn[k]);
    double e = 0;
    for (int i = 0; i < n; ++i) {
      const int q = dl == 0 ? std::clamp(0, lo, hi) : round_clamped((x[i] + ml) / dl, lo, hi);
      const double r = x[i] - static_cast<double>(dl * static_cast<float>(q) - ml);
      e += w[i] * r * r;
    }
    e_out[k] = e;
  }
}

constexpr KSearchKernels kScalarKernels{fit_candidates, pair_errors, assign_values};

double assign(const KSearchKernels& ks, const Layout& L, const double* x, const double* w,
              Coded& c) {
  return ks.assign(x, w, L.sub_len, L.q_lo, L.q_hi, L.mn_hi != 0, c.d, c.dmin, c.sc, c.mn, c.q);
}

// Tries the integer scale (and offset) of every sub-block one step either side of its rounded
// value and keeps the pair with the smallest error (the rounding of a scale is not always the
// best choice once the values snap to the grid).
void refine_sub_scales(const KSearchKernels& ks, const Layout& L, const double* x, const double* w,
                       Coded& c) {
  const int mn_steps = L.mn_hi ? 1 : 0;
  for (int j = 0; j < kSuper / L.sub_len; ++j) {
    // The current pair first, then the others in search order.
    int sc[kKMaxScalePairs] = {c.sc[j]}, mn[kKMaxScalePairs] = {c.mn[j]};
    int count = 1;
    for (int ds = -1; ds <= 1; ++ds)
      for (int dm = -mn_steps; dm <= mn_steps; ++dm) {
        const int s = c.sc[j] + ds, m = c.mn[j] + dm;
        if ((ds == 0 && dm == 0) || s < L.sc_lo || s > L.sc_hi || m < 0 || m > L.mn_hi) continue;
        sc[count] = s;
        mn[count++] = m;
      }
    double e[kKMaxScalePairs];
    const int at = j * L.sub_len;
    ks.pair_errors(x + at, w + at, L.sub_len, L.q_lo, L.q_hi, c.d, c.dmin, sc, mn, count, e);
    int best_k = 0;
    for (int k = 1; k < count; ++k)
      if (e[k] < e[best_k]) best_k = k;
    c.sc[j] = sc[best_k];
    c.mn[j] = mn[best_k];
  }
}

// Least-squares refit of d (and dmin) over the super-block with the integers of c fixed:
// x ~ d * (sc * q) - dmin * mn. Returns false when the system is degenerate.
bool refit_super(const Layout& L, const double* x, const double* w, const Coded& c, double& d,
                 double& dmin) {
  double saa = 0, sab = 0, sbb = 0, sax = 0, sbx = 0;
  for (int i = 0; i < kSuper; ++i) {
    const int j = i / L.sub_len;
    const double A = static_cast<double>(c.sc[j]) * c.q[i], B = L.mn_hi ? -c.mn[j] : 0.0;
    saa += w[i] * A * A;
    sab += w[i] * A * B;
    sbb += w[i] * B * B;
    sax += w[i] * A * x[i];
    sbx += w[i] * B * x[i];
  }
  const double det = saa * sbb - sab * sab;
  if (L.mn_hi && det > 1e-12 * saa * sbb) {
    d = (sax * sbb - sab * sbx) / det;
    dmin = (saa * sbx - sab * sax) / det;
    return true;
  }
  if (saa <= 0) return false;
  d = sax / saa;  // no usable offsets: refit d alone
  return true;
}

// Codes one super-block of `L` from x (256 finite values) with weights imp (256 non-negative
// values, or nullptr for all 1).
void code_super_block(const KSearchKernels& ks, const Layout& L, const float* xf, const float* imp,
                      Coded& c) {
  double x[kSuper], w[kSuper];
  for (int i = 0; i < kSuper; ++i) {
    x[i] = xf[i];
    w[i] = imp ? imp[i] : 1.0;
  }
  const int n_sub = kSuper / L.sub_len;
  const bool affine = L.mn_hi != 0;
  double scale[16], offset[16];
  for (int j = 0; j < n_sub; ++j) {
    const double* xs = x + j * L.sub_len;
    const double* ws = w + j * L.sub_len;
    double wsum = 0;
    for (int i = 0; i < L.sub_len; ++i) wsum += ws[i];
    static constexpr double kOnes[32] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                         1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    fit_sub_block(ks, xs, wsum > 0 ? ws : kOnes, L.sub_len, L.q_lo, L.q_hi, affine, scale[j],
                  offset[j]);
  }

  // Super-block scales: the largest sub-block scale (offset) maps to the end of its field. A
  // symmetric type takes the signed scale of largest magnitude onto the negative end, which
  // holds one more step.
  double s_ref = 0, m_ref = 0;
  for (int j = 0; j < n_sub; ++j) {
    if (std::fabs(scale[j]) > std::fabs(s_ref)) s_ref = scale[j];
    m_ref = std::max(m_ref, -offset[j]);
  }
  c.d = affine ? to_f16_value(s_ref / L.sc_hi) : to_f16_value(s_ref / L.sc_lo);
  c.dmin = affine ? to_f16_value(m_ref / L.mn_hi) : 0.0f;
  for (int j = 0; j < n_sub; ++j) {
    c.sc[j] = c.d == 0 ? 0 : round_clamped(scale[j] / c.d, L.sc_lo, L.sc_hi);
    c.mn[j] = c.dmin == 0 ? 0 : round_clamped(-offset[j] / c.dmin, 0, L.mn_hi);
  }
  refine_sub_scales(ks, L, x, w, c);

  // Refit d (and dmin) to the chosen integers while that lowers the error.
  double best = assign(ks, L, x, w, c);
  for (int it = 0; it < 4; ++it) {
    double d = c.d, dmin = c.dmin;
    if (!refit_super(L, x, w, c, d, dmin)) break;
    Coded trial = c;
    trial.d = to_f16_value(d);
    trial.dmin = affine ? to_f16_value(dmin) : 0.0f;
    if (trial.d == c.d && trial.dmin == c.dmin) break;
    const double e = assign(ks, L, x, w, trial);
    if (!(e < best)) break;
    best = e;
    c = trial;
  }
}

// Codes x into a zeroed block B (the encoders below or their fields in).
template <class B>
Coded code_block(const KSearchKernels& ks, const Layout& L, const float* x, const float* w,
                 uint8_t* b) {
  Coded c{};
  code_super_block(ks, L, x, w, c);
  std::fill(b, b + B::kBytes, uint8_t{0});
  return c;
}

// Q4_K / Q5_K: d, dmin, the packed 6-bit scales and mins, and the low nibbles of the values
// (per 64 values, 32 low nibbles then 32 high nibbles); Q5_K adds bit 4 of value i as bit i / 32
// of qh[i % 32].
template <class B>
void encode_k4(const KSearchKernels& ks, const Layout& L, const float* x, const float* w,
               uint8_t* b) {
  const Coded c = code_block<B>(ks, L, x, w, b);
  store_f16(b + B::d.at, c.d);
  store_f16(b + B::dmin.at, c.dmin);
  pack_scale_min_k4(c.sc, c.mn, b + B::scales.at);
  for (int i = 0; i < kSuper; ++i) {
    const int k = i / 32, l = i % 32;
    b[B::qs.at + (k / 2) * 32 + l] |= static_cast<uint8_t>((c.q[i] & 15) << (4 * (k % 2)));
    if constexpr (requires { B::qh; }) b[B::qh.at + l] |= static_cast<uint8_t>((c.q[i] >> 4) << k);
  }
}

// scales[16] (low nibble scale, high nibble min); qs[64]; d; dmin.
void encode_q2_k_with(const KSearchKernels& ks, const float* x, const float* w, uint8_t* b) {
  using B = BlockQ2_K;
  const Coded c = code_block<B>(ks, kQ2K, x, w, b);
  for (int k = 0; k < 16; ++k) b[B::scales.at + k] = static_cast<uint8_t>(c.sc[k] | (c.mn[k] << 4));
  for (int i = 0; i < kSuper; ++i) put_q2_field(b + B::qs.at, i, c.q[i]);
  store_f16(b + B::d.at, c.d);
  store_f16(b + B::dmin.at, c.dmin);
}

// hmask[32]; qs[64]; scales[12] (sixteen 6-bit values biased by 32); d. Value q in [-4, 3] is
// stored as u = q + 4: low 2 bits in qs, bit 2 in hmask (set: no -4).
void encode_q3_k_with(const KSearchKernels& ks, const float* x, const float* w, uint8_t* b) {
  using B = BlockQ3_K;
  const Coded c = code_block<B>(ks, kQ3K, x, w, b);
  for (int i = 0; i < kSuper; ++i) {
    const int u = c.q[i] + 4;
    put_q2_field(b + B::qs.at, i, u);
    b[B::hmask.at + i % 32] |= static_cast<uint8_t>((u >> 2) << (i / 32));
  }
  uint8_t* sc = b + B::scales.at;
  for (int k = 0; k < 16; ++k) {
    const int l = c.sc[k] + 32;
    sc[k % 8] |= static_cast<uint8_t>((l & 15) << (4 * (k / 8)));
    sc[8 + k % 4] |= static_cast<uint8_t>((l >> 4) << (2 * (k / 4)));
  }
  store_f16(b + B::d.at, c.d);
}

void encode_q4_k_with(const KSearchKernels& ks, const float* x, const float* w, uint8_t* b) {
  encode_k4<BlockQ4_K>(ks, kQ4K, x, w, b);
}
void encode_q5_k_with(const KSearchKernels& ks, const float* x, const float* w, uint8_t* b) {
  encode_k4<BlockQ5_K>(ks, kQ5K, x, w, b);
}

// ql[128]; qh[64]; int8 scales[16]; d. Value q in [-32, 31] is stored as u = q + 32; in half
// h = i / 128 (r = i % 128) its low 4 bits go to nibble r / 64 of ql[h*64 + r % 64], its high
// 2 bits to field r / 32 of qh[h*32 + r % 32].
void encode_q6_k_with(const KSearchKernels& ks, const float* x, const float* w, uint8_t* b) {
  using B = BlockQ6_K;
  const Coded c = code_block<B>(ks, kQ6K, x, w, b);
  for (int i = 0; i < kSuper; ++i) {
    const int u = c.q[i] + 32, h = i / 128, r = i % 128;
    b[B::ql.at + h * 64 + r % 64] |= static_cast<uint8_t>((u & 15) << (4 * (r / 64)));
    b[B::qh.at + h * 32 + r % 32] |= static_cast<uint8_t>((u >> 4) << (2 * (r / 32)));
  }
  for (int k = 0; k < 16; ++k)
    b[B::scales.at + k] = static_cast<uint8_t>(static_cast<int8_t>(c.sc[k]));
  store_f16(b + B::d.at, c.d);
}

}  // namespace

void encode_q2_k(const float* x, const float* w, uint8_t* b) {
  encode_q2_k_with(kScalarKernels, x, w, b);
}
void encode_q3_k(const float* x, const float* w, uint8_t* b) {
  encode_q3_k_with(kScalarKernels, x, w, b);
}
void encode_q4_k(const float* x, const float* w, uint8_t* b) {
  encode_q4_k_with(kScalarKernels, x, w, b);
}
void encode_q5_k(const float* x, const float* w, uint8_t* b) {
  encode_q5_k_with(kScalarKernels, x, w, b);
}
void encode_q6_k(const float* x, const float* w, uint8_t* b) {
  encode_q6_k_with(kScalarKernels, x, w, b);
}

void encode_k_blocks(DType type, const KSearchKernels& kernels, const float* src, uint8_t* dst,
                     uint64_t n_blocks, const float* w, uint64_t row_len) {
  void (*encode)(const KSearchKernels&, const float*, const float*, uint8_t*) = nullptr;
  uint64_t bytes = 0;
  switch (type) {
    case DType::Q2_K: encode = encode_q2_k_with, bytes = BlockQ2_K::kBytes; break;
    case DType::Q3_K: encode = encode_q3_k_with, bytes = BlockQ3_K::kBytes; break;
    case DType::Q4_K: encode = encode_q4_k_with, bytes = BlockQ4_K::kBytes; break;
    case DType::Q5_K: encode = encode_q5_k_with, bytes = BlockQ5_K::kBytes; break;
    case DType::Q6_K: encode = encode_q6_k_with, bytes = BlockQ6_K::kBytes; break;
    default: return;  // not a K-quant: the kernel lists name only these
  }
  // Block i starts at value i * 256, which sits at (i * 256) % row_len within its row.
  for (uint64_t i = 0; i < n_blocks; ++i) {
    const uint64_t at = i * kSuper;
    encode(kernels, src + at, w != nullptr ? w + at % row_len : nullptr, dst + i * bytes);
  }
}

}  // namespace mwt::detail::quant
