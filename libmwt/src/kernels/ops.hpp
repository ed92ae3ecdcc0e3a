// The elementwise and normalization kernels of a decoder LLM, float32 in and out: RMSNorm,
// LayerNorm, RoPE, softmax, GELU (erf and tanh forms), SiLU and SwiGLU. Formulas, the RoPE
// frequency scalings and the accuracy of each ISA's version: docs/kernels.md.
//
// Each ISA provides the same table (OpsKernels). The scalar one (ops_scalar.cpp) computes in
// double and rounds once to float where it can, and is the reference the AVX2 one
// (x86_avx2/ops_avx2.cpp) is tested against (tests/cpp/test_kernels_ops.cpp) within the bounds
// docs/kernels.md#accuracy states. RoPE's inverse frequencies and per-position cos / sin are
// computed once per model and position, not per head, in double (rope.cpp); only applying them
// is a table kernel.
//
// Preconditions shared by every kernel (the callers are mwt's own runtime, which checks shapes
// before it calls): a pointer may be dangling or NULL only when its count is 0; an output may be
// exactly its input (in place) but must not partially overlap it or any other input; pointers
// need no alignment. Every kernel is a no-op on a count of 0. NaN and infinities go through the
// formulas as IEEE arithmetic takes them (docs/kernels.md#special-values); nothing traps.
//
// Included by baseline and -mavx2 translation units alike, so (as quant/blocks.hpp explains)
// everything here with external linkage is a type, constant data or a declaration.
#pragma once
#include <cstdint>
#include <limits>
#include <vector>

#include "core/isa.hpp"

namespace mwt::detail::kernels {

// How a head's rotated dimensions are paired.
enum class RopeLayout : uint8_t {
  Normal,  // adjacent pairs (x[2i], x[2i+1]) turn by angle i (GPT-J; llama.cpp's LLAMA type)
  NeoX,    // halves (x[i], x[i + rot_dims/2]) turn by angle i (GPT-NeoX; HF's rotate_half)
};

// How the inverse frequencies are scaled for a longer context (docs/kernels.md#rope-scaling).
enum class RopeScaling : uint8_t { None, Linear, Llama3, Yarn };

// What fixes a model's rotary embedding. Fields a scaling does not use are ignored.
struct RopeConfig {
  uint32_t head_dim = 0;   // values per head in the rows rope_apply turns
  uint32_t rot_dims = 0;   // leading dimensions of each head that rotate: even, <= head_dim
  double theta = 10000.0;  // the base (rope_theta, rope.freq_base)
  RopeLayout layout = RopeLayout::NeoX;
  RopeScaling scaling = RopeScaling::None;
  double factor = 1.0;  // Linear, Llama3, Yarn: > 0
  // Llama3 and Yarn: the context the model was trained at (> 0).
  double original_max_positions = 0.0;
  double low_freq_factor = 1.0;   // Llama3: > 0
  double high_freq_factor = 4.0;  // Llama3: > low_freq_factor
  double beta_fast = 32.0;        // Yarn: > 0
  double beta_slow = 1.0;         // Yarn: > 0
  bool truncate = true;           // Yarn: floor / ceil the correction range
  // Yarn's cos / sin multiplier: used as given when finite, otherwise derived from factor (and
  // from mscale and mscale_all_dim when both are non-zero), docs/kernels.md#yarn.
  double attention_factor = std::numeric_limits<double>::quiet_NaN();
  double mscale = 0.0;
  double mscale_all_dim = 0.0;
};

// v rounded to float, with IEEE overflow to +-inf: a plain conversion of a finite double beyond
// float's range is undefined behaviour in C++, and a kernel's double result can be one (an
// RMSNorm weight of 1e30, a huge SwiGLU product).
static inline float to_float(double v) noexcept {
  // From FLT_MAX + half an ulp up, round-to-nearest gives infinity. NaN passes to the cast.
  if (v >= 0x1.ffffffp+127) return __builtin_inff();
  if (v <= -0x1.ffffffp+127) return -__builtin_inff();
  return static_cast<float>(v);
}

// A model's rotary embedding, ready to be evaluated at positions.
struct RopeFreqs {
  uint32_t head_dim = 0, rot_dims = 0;
  RopeLayout layout = RopeLayout::NeoX;
  std::vector<float> inv_freq;    // rot_dims / 2 inverse frequencies, float32 as HF keeps them
  float attention_factor = 1.0f;  // multiplies cos and sin (1 unless Yarn)
};

// Checks c (Code::ARGUMENT naming the field otherwise: rot_dims odd, zero or above head_dim,
// theta not finite or <= 0 (<= 1 for Yarn, which divides by log theta), a factor or context out
// of the ranges above or not finite) and computes the
// inverse frequencies of its scaling in double, rounded once to float.
RopeFreqs rope_freqs(const RopeConfig& c);

// cos[i] and sin[i] (i < rot_dims / 2) at position pos: the angle is the float32 product
// float(pos) * inv_freq[i], as HF forms it; cos and sin of that angle are taken in double,
// rounded to float and multiplied by attention_factor in float.
void rope_cos_sin(const RopeFreqs& f, uint64_t pos, float* cos, float* sin) noexcept;

struct OpsKernels {
  // y[i] = x[i] / sqrt(mean(x^2) + eps) * w[i], i < n; w == NULL means w[i] = 1.
  void (*rms_norm)(const float* x, const float* w, float* y, uint64_t n, float eps) noexcept;
  // y[i] = (x[i] - mean) / sqrt(var + eps) * w[i] + b[i] with the biased variance; w == NULL
  // means 1, b == NULL means 0.
  void (*layer_norm)(const float* x, const float* w, const float* b, float* y, uint64_t n,
                     float eps) noexcept;
  // Turns n_heads rows of head_dim values at x in place by cos / sin of one position
  // (rope_cos_sin): a pair (p, q) becomes (p c - q s, q c + p s), computed in float32 in that
  // order (so every ISA's result is bit-identical to the scalar one). Dimensions from rot_dims
  // to head_dim pass through. cos and sin hold rot_dims / 2 values. rot_dims should be even and
  // <= head_dim (rope_freqs checks it); out of contract, one above head_dim is taken as
  // head_dim and an odd one's last dimension passes through, so no call reads past a row.
  void (*rope_apply)(float* x, uint64_t n_heads, uint32_t head_dim, uint32_t rot_dims,
                     RopeLayout layout, const float* cos, const float* sin) noexcept;
  // In place over x[0..n): the first n_valid values (min(n_valid, n); a causal row at query
  // position p has n_valid = p + 1) become softmax(scale * x) over themselves, the rest 0.
  // Stable: the maximum of the scaled values is subtracted first. n_valid = 0 writes zeros.
  void (*softmax)(float* x, uint64_t n, float scale, uint64_t n_valid) noexcept;
  // y = x * Phi(x) = x / 2 * erfc(-x / sqrt 2) (the erf form: HF "gelu", torch's default).
  void (*gelu_erf)(const float* x, float* y, uint64_t n) noexcept;
  // y = x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) (HF "gelu_new",
  // "gelu_pytorch_tanh"; GPT-2).
  void (*gelu_tanh)(const float* x, float* y, uint64_t n) noexcept;
  // y = x * sigmoid(x).
  void (*silu)(const float* x, float* y, uint64_t n) noexcept;
  // y = silu(a) * b (the gated MLP of LLaMA / Qwen: silu(gate) * up). y may be a or b.
  void (*swiglu)(const float* a, const float* b, float* y, uint64_t n) noexcept;
};

// The scalar reference kernels (ops_scalar.cpp).
extern const OpsKernels kScalarOpsKernels;
// Its layer_norm, named so that other ISAs' tables can share it in a constant initializer.
void layer_norm_scalar(const float* x, const float* w, const float* b, float* y, uint64_t n,
                       float eps) noexcept;
#if defined(MWT_KERNELS_X86_AVX2)
namespace avx2 {
extern const OpsKernels kOpsKernels;  // x86_avx2/ops_avx2.cpp
}  // namespace avx2
#endif

// The kernels of `isa` (the scalar ones when the build has none for it). Never runs ISA code;
// callers pass active() (core/isa.hpp), which never names an ISA the CPU lacks.
const OpsKernels& ops_kernels(Isa isa) noexcept;

}  // namespace mwt::detail::kernels
