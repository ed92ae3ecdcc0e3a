// The scalar reference kernels of kernels/ops.hpp and the ISA table lookup. Sums, reciprocals
// and transcendental functions are taken in double from the float inputs and each result is
// rounded once to float (softmax rounds twice: the exponentials are kept in the output between
// passes), so every value is within about one float ulp of the exact one
// (docs/kernels.md#accuracy). rope_apply is the exception: it is float32 arithmetic in a fixed
// order, which every ISA reproduces bit for bit. The file builds with -ffp-contract=off.
#include <cmath>
#include <limits>
#include <numbers>

#include "kernels/ops.hpp"

namespace mwt::detail::kernels {
namespace {

// 1 / (1 + e^-t) without overflow: e^-|t| is at most 1.
double sigmoid(double t) {
  const double e = std::exp(-std::fabs(t));
  return t >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

void rms_norm(const float* x, const float* w, float* y, uint64_t n, float eps) noexcept {
  if (n == 0) return;
  double ss = 0.0;
  for (uint64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const double r = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
  for (uint64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]) * r;
    y[i] = to_float(w != nullptr ? v * w[i] : v);
  }
}

}  // namespace

void layer_norm_scalar(const float* x, const float* w, const float* b, float* y, uint64_t n,
                       float eps) noexcept {
  if (n == 0) return;
  double sum = 0.0;
  for (uint64_t i = 0; i < n; ++i) sum += x[i];
  const double mean = sum / static_cast<double>(n);
  double ss = 0.0;  // two passes: no cancellation between E[x^2] and E[x]^2
  for (uint64_t i = 0; i < n; ++i) ss += (x[i] - mean) * (x[i] - mean);
  const double r = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
  for (uint64_t i = 0; i < n; ++i) {
    double v = (x[i] - mean) * r;
    if (w != nullptr) v *= w[i];
    if (b != nullptr) v += b[i];
    y[i] = to_float(v);
  }
}

namespace {

void rope_apply(float* x, uint64_t n_heads, uint32_t head_dim, uint32_t rot_dims, RopeLayout layout,
                const float* cos, const float* sin) noexcept {
  // Out-of-contract shapes shrink to the largest valid one rather than read past a row.
  if (rot_dims > head_dim) rot_dims = head_dim;
  const uint32_t half = rot_dims / 2;
  for (uint64_t h = 0; h < n_heads; ++h) {
    float* row = x + h * head_dim;
    for (uint32_t i = 0; i < half; ++i) {
      float* a = layout == RopeLayout::Normal ? row + 2 * i : row + i;
      float* b = layout == RopeLayout::Normal ? a + 1 : a + half;
      const float p = *a, q = *b, c = cos[i], s = sin[i];
      *a = p * c - q * s;
      *b = q * c + p * s;
    }
  }
}

void softmax(float* x, uint64_t n, float scale, uint64_t n_valid) noexcept {
  const uint64_t m_n = n_valid < n ? n_valid : n;
  if (m_n > 0) {
    // The shift is the largest scaled value as float32 (every ISA finds the same one); NaN
    // never wins a comparison, but makes its own exponential, and so the sum, NaN.
    float m = -std::numeric_limits<float>::infinity();
    for (uint64_t i = 0; i < m_n; ++i) {
      const float v = x[i] * scale;
      if (v > m) m = v;
    }
    double sum = 0.0;
    for (uint64_t i = 0; i < m_n; ++i) {
      const double e = std::exp(static_cast<double>(x[i]) * scale - m);
      sum += e;
      x[i] = static_cast<float>(e);  // e <= 1 (or NaN)
    }
    const double inv = 1.0 / sum;
    for (uint64_t i = 0; i < m_n; ++i) x[i] = static_cast<float>(x[i] * inv);  // <= 1
  }
  for (uint64_t i = m_n; i < n; ++i) x[i] = 0.0f;
}

void gelu_erf(const float* x, float* y, uint64_t n) noexcept {
  // erfc(-z) instead of 1 + erf(z): no cancellation for negative x.
  for (uint64_t i = 0; i < n; ++i) {
    const double v = x[i];
    y[i] = to_float(0.5 * v * std::erfc(-v * std::numbers::sqrt2 / 2.0));
  }
}

void gelu_tanh(const float* x, float* y, uint64_t n) noexcept {
  // 1 + tanh(u) = 2 sigmoid(2u): no cancellation for negative x.
  const double k = std::sqrt(2.0 / std::numbers::pi);
  for (uint64_t i = 0; i < n; ++i) {
    const double v = x[i];
    y[i] = to_float(v * sigmoid(2.0 * k * (v + 0.044715 * v * v * v)));
  }
}

void silu(const float* x, float* y, uint64_t n) noexcept {
  for (uint64_t i = 0; i < n; ++i) y[i] = to_float(x[i] * sigmoid(x[i]));
}

void swiglu(const float* a, const float* b, float* y, uint64_t n) noexcept {
  for (uint64_t i = 0; i < n; ++i) y[i] = to_float(a[i] * sigmoid(a[i]) * b[i]);
}

}  // namespace

const OpsKernels kScalarOpsKernels{
    .rms_norm = rms_norm,
    .layer_norm = layer_norm_scalar,
    .rope_apply = rope_apply,
    .softmax = softmax,
    .gelu_erf = gelu_erf,
    .gelu_tanh = gelu_tanh,
    .silu = silu,
    .swiglu = swiglu,
};

const OpsKernels& ops_kernels(Isa isa) noexcept {
#if defined(MWT_KERNELS_X86_AVX2)
  if (isa == Isa::Avx2) return avx2::kOpsKernels;
#else
  (void)isa;
#endif
  return kScalarOpsKernels;
}

}  // namespace mwt::detail::kernels
