// RoPE's inverse frequencies under each scaling (docs/kernels.md#rope-scaling) and its cos / sin
// at a position (kernels/ops.hpp). Everything is computed in double and rounded once to float,
// except the angle itself, which is the float32 product HF forms.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "core/error.hpp"
#include "kernels/ops.hpp"

namespace mwt::detail::kernels {
namespace {

void require(bool ok, const char* field, const std::string& why) {
  if (!ok) fail(Code::ARGUMENT, std::string("rope: ") + field + " " + why, kNoOffset, field);
}

bool positive(double v) { return std::isfinite(v) && v > 0.0; }

// YaRN's magnitude correction for a context `scale` times longer: 0.1 m ln(scale) + 1.
double yarn_mscale(double scale, double m) {
  return scale <= 1.0 ? 1.0 : 0.1 * m * std::log(scale) + 1.0;
}

// The (fractional) rotary dimension whose wavelength turns `rotations` times over the original
// context: dim ln(ctx / (2 pi rotations)) / (2 ln theta).
double yarn_correction_dim(double rotations, double dim, double theta, double ctx) {
  return dim * std::log(ctx / (rotations * 2.0 * std::numbers::pi)) / (2.0 * std::log(theta));
}

void check(const RopeConfig& c) {
  require(c.rot_dims > 0 && c.rot_dims % 2 == 0, "rot_dims", "must be even and > 0");
  require(c.rot_dims <= c.head_dim, "rot_dims", "must be <= head_dim");
  require(c.layout == RopeLayout::Normal || c.layout == RopeLayout::NeoX, "layout", "unknown");
  require(positive(c.theta), "theta", "must be finite and > 0");
  switch (c.scaling) {
    case RopeScaling::None: return;
    case RopeScaling::Linear:
      require(positive(c.factor), "factor", "must be finite and > 0");
      return;
    case RopeScaling::Llama3:
      require(positive(c.factor), "factor", "must be finite and > 0");
      require(positive(c.original_max_positions), "original_max_positions", "must be > 0");
      require(positive(c.low_freq_factor), "low_freq_factor", "must be finite and > 0");
      require(std::isfinite(c.high_freq_factor) && c.high_freq_factor > c.low_freq_factor,
              "high_freq_factor", "must be finite and > low_freq_factor");
      return;
    case RopeScaling::Yarn:
      require(c.theta > 1.0, "theta", "must be > 1 for yarn (it divides by log theta)");
      require(positive(c.factor), "factor", "must be finite and > 0");
      require(positive(c.original_max_positions), "original_max_positions", "must be > 0");
      require(positive(c.beta_fast), "beta_fast", "must be finite and > 0");
      require(positive(c.beta_slow), "beta_slow", "must be finite and > 0");
      require(std::isfinite(c.mscale) && std::isfinite(c.mscale_all_dim), "mscale",
              "must be finite");
      return;
  }
  require(false, "scaling", "unknown");
}

}  // namespace

RopeFreqs rope_freqs(const RopeConfig& c) {
  check(c);
  RopeFreqs f;
  f.head_dim = c.head_dim;
  f.rot_dims = c.rot_dims;
  f.layout = c.layout;
  const uint32_t half = c.rot_dims / 2;
  const double dim = c.rot_dims;
  f.inv_freq.resize(half);

  double yarn_low = 0.0, yarn_high = 0.0;
  if (c.scaling == RopeScaling::Yarn) {
    const double ctx = c.original_max_positions;
    yarn_low = yarn_correction_dim(c.beta_fast, dim, c.theta, ctx);
    yarn_high = yarn_correction_dim(c.beta_slow, dim, c.theta, ctx);
    if (c.truncate) {
      yarn_low = std::floor(yarn_low);
      yarn_high = std::ceil(yarn_high);
    }
    yarn_low = std::fmax(yarn_low, 0.0);
    yarn_high = std::fmin(yarn_high, dim - 1.0);
    if (yarn_low == yarn_high) yarn_high += 0.001;  // an empty ramp would divide by zero
    if (std::isfinite(c.attention_factor)) {
      f.attention_factor = to_float(c.attention_factor);
    } else if (c.mscale != 0.0 && c.mscale_all_dim != 0.0) {
      f.attention_factor =
          to_float(yarn_mscale(c.factor, c.mscale) / yarn_mscale(c.factor, c.mscale_all_dim));
    } else {
      f.attention_factor = to_float(yarn_mscale(c.factor, 1.0));
    }
  }

  for (uint32_t i = 0; i < half; ++i) {
    const double base = 1.0 / std::pow(c.theta, 2.0 * i / dim);
    double inv = base;
    switch (c.scaling) {
      case RopeScaling::None: break;
      case RopeScaling::Linear: inv = base / c.factor; break;
      case RopeScaling::Llama3: {
        const double ctx = c.original_max_positions;
        const double wavelen = 2.0 * std::numbers::pi / base;
        const double low_wavelen = ctx / c.low_freq_factor;    // longer: fully scaled
        const double high_wavelen = ctx / c.high_freq_factor;  // shorter: unchanged
        if (wavelen > low_wavelen) {
          inv = base / c.factor;
        } else if (!(wavelen < high_wavelen)) {
          const double smooth =
              (ctx / wavelen - c.low_freq_factor) / (c.high_freq_factor - c.low_freq_factor);
          inv = (1.0 - smooth) * base / c.factor + smooth * base;
        }
        break;
      }
      case RopeScaling::Yarn: {
        const double ramp = std::clamp((i - yarn_low) / (yarn_high - yarn_low), 0.0, 1.0);
        const double extrapolation = 1.0 - ramp;  // the share of the unscaled frequency
        inv = base / c.factor * (1.0 - extrapolation) + base * extrapolation;
        break;
      }
    }
    f.inv_freq[i] = to_float(inv);  // theta < 1 can make it large
  }
  return f;
}

void rope_cos_sin(const RopeFreqs& f, uint64_t pos, float* cos, float* sin) noexcept {
  const float p = static_cast<float>(pos);
  for (size_t i = 0; i < f.inv_freq.size(); ++i) {
    const float angle = p * f.inv_freq[i];
    cos[i] = static_cast<float>(std::cos(static_cast<double>(angle))) * f.attention_factor;
    sin[i] = static_cast<float>(std::sin(static_cast<double>(angle))) * f.attention_factor;
  }
}

}  // namespace mwt::detail::kernels
