// Tests of RoPE (kernels/ops.hpp): the inverse frequencies of every scaling against the
// formulas of docs/kernels.md#rope-scaling evaluated here in long double, cos / sin at a
// position, the rotation of both layouts (and partial rotary dimensions) against the pairing
// the doc states and against HF's rotate_half form, and the AVX2 rope_apply bit-identical to
// the scalar one over head sizes 1..67, 128, 256, 896 and 4096 and unaligned rows.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <vector>

#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "kernels/ops.hpp"
#include "kernels_ops_check.hpp"

using namespace mwt::detail;
using namespace mwt::detail::kernels;
using namespace kernels_test;
using ld = long double;

namespace {

constexpr ld kPi = std::numbers::pi_v<ld>;

ld base_inv(const RopeConfig& c, uint32_t i) {
  return 1.0L / std::pow(static_cast<ld>(c.theta), 2.0L * i / c.rot_dims);
}

// docs/kernels.md#llama3, independently of rope.cpp: by wavelength band.
ld llama3_inv(const RopeConfig& c, uint32_t i) {
  const ld b = base_inv(c, i), wl = 2 * kPi / b, ctx = c.original_max_positions;
  if (wl < ctx / c.high_freq_factor) return b;
  if (wl > ctx / c.low_freq_factor) return b / c.factor;
  const ld s = (ctx / wl - c.low_freq_factor) / (c.high_freq_factor - c.low_freq_factor);
  return (1 - s) * b / c.factor + s * b;
}

// docs/kernels.md#yarn: the ramp between the correction dimensions.
ld yarn_inv(const RopeConfig& c, uint32_t i) {
  const ld d = c.rot_dims, ctx = c.original_max_positions;
  auto corr = [&](ld rot) {
    return d * std::log(ctx / (rot * 2 * kPi)) / (2 * std::log(static_cast<ld>(c.theta)));
  };
  ld lo = corr(c.beta_fast), hi = corr(c.beta_slow);
  if (c.truncate) lo = std::floor(lo), hi = std::ceil(hi);
  lo = std::max(lo, 0.0L);
  hi = std::min(hi, d - 1);
  if (lo == hi) hi += 0.001L;
  const ld ramp = std::min(std::max((i - lo) / (hi - lo), 0.0L), 1.0L);
  const ld b = base_inv(c, i);
  return b / c.factor * ramp + b * (1 - ramp);
}

ld expected_inv(const RopeConfig& c, uint32_t i) {
  switch (c.scaling) {
    case RopeScaling::None: return base_inv(c, i);
    case RopeScaling::Linear: return base_inv(c, i) / c.factor;
    case RopeScaling::Llama3: return llama3_inv(c, i);
    case RopeScaling::Yarn: return yarn_inv(c, i);
  }
  return NAN;
}

RopeConfig config(uint32_t head, uint32_t rot, double theta, RopeScaling s, double factor) {
  RopeConfig c;
  c.head_dim = head;
  c.rot_dims = rot;
  c.theta = theta;
  c.scaling = s;
  c.factor = factor;
  return c;
}

// The frequencies are rounded once from double: u relative, and 2^-40 for pow's and the
// scaling's double error.
void check_freqs(const RopeConfig& c, const RopeFreqs& f) {
  REQUIRE(f.inv_freq.size() == c.rot_dims / 2);
  Worst w;
  for (uint32_t i = 0; i < c.rot_dims / 2; ++i) {
    const double want = static_cast<double>(expected_inv(c, i));
    w.add(i, f.inv_freq[i], want, (kU + 0x1p-40) * want);
  }
  INFO(w.describe());
  CHECK(w.ok());
}

}  // namespace

TEST_CASE("rope inverse frequencies of every scaling match the doc's formulas", "[kernels][rope]") {
  SECTION("none and linear") {
    for (double factor : {1.0, 4.0}) {
      RopeConfig c = config(64, 64, 10000.0, RopeScaling::Linear, factor);
      check_freqs(c, rope_freqs(c));
      c.scaling = RopeScaling::None;
      check_freqs(c, rope_freqs(c));
    }
    // Partial rotary dimensions: the exponent is over rot_dims, not head_dim.
    const RopeConfig p = config(80, 32, 10000.0, RopeScaling::None, 1.0);
    check_freqs(p, rope_freqs(p));
  }
  SECTION("llama3 (Llama 3.1's values) has all three bands") {
    RopeConfig c = config(128, 128, 500000.0, RopeScaling::Llama3, 8.0);
    c.low_freq_factor = 1.0;
    c.high_freq_factor = 4.0;
    c.original_max_positions = 8192;
    const RopeFreqs f = rope_freqs(c);
    check_freqs(c, f);
    int kept = 0, divided = 0, smoothed = 0;
    for (uint32_t i = 0; i < 64; ++i) {
      const double b = static_cast<double>(base_inv(c, i)), v = f.inv_freq[i];
      if (std::fabs(v - b) <= 1e-6 * b)
        ++kept;
      else if (std::fabs(v - b / 8) <= 1e-6 * b)
        ++divided;
      else
        ++smoothed;
    }
    CHECK(kept > 0);
    CHECK(divided > 0);
    CHECK(smoothed > 0);
    CHECK(f.attention_factor == 1.0f);
  }
  SECTION("yarn: ramp, truncation and the attention factor") {
    for (bool truncate : {true, false}) {
      RopeConfig c = config(128, 128, 1000000.0, RopeScaling::Yarn, 4.0);
      c.original_max_positions = 32768;
      c.truncate = truncate;
      const RopeFreqs f = rope_freqs(c);
      check_freqs(c, f);
      CHECK(f.inv_freq[0] == static_cast<float>(base_inv(c, 0)));  // fastest: extrapolated
      CHECK(std::fabs(f.inv_freq[63] - base_inv(c, 63) / 4) <= 1e-6 * base_inv(c, 63) / 4);
      CHECK(f.attention_factor == static_cast<float>(0.1 * std::log(4.0) + 1.0));
    }
    RopeConfig c = config(64, 64, 10000.0, RopeScaling::Yarn, 40.0);
    c.original_max_positions = 4096;
    c.mscale = 0.707;
    c.mscale_all_dim = 1.0;
    const double m1 = 0.1 * 0.707 * std::log(40.0) + 1, m2 = 0.1 * std::log(40.0) + 1;
    CHECK(rope_freqs(c).attention_factor == static_cast<float>(m1 / m2));
    c.attention_factor = 0.5;  // given: used as is
    CHECK(rope_freqs(c).attention_factor == 0.5f);
    c.attention_factor = NAN;
    c.factor = 0.5;  // no longer context: no magnitude correction
    c.mscale = c.mscale_all_dim = 0;
    check_freqs(c, rope_freqs(c));
    CHECK(rope_freqs(c).attention_factor == 1.0f);
  }
}

TEST_CASE("rope_freqs refuses out-of-contract configurations", "[kernels][rope]") {
  const RopeConfig ok = config(64, 64, 10000.0, RopeScaling::None, 1.0);
  auto refused = [](RopeConfig c) {
    try {
      (void)rope_freqs(c);
    } catch (const Error& e) {
      return e.code() == Code::ARGUMENT;
    }
    return false;
  };
  CHECK_FALSE(refused(ok));
  RopeConfig c = ok;
  c.rot_dims = 63;
  CHECK(refused(c));
  c.rot_dims = 66;
  CHECK(refused(c));
  c.rot_dims = 0;
  CHECK(refused(c));
  c = ok;
  for (double theta : {0.0, -1.0, double(NAN), double(INFINITY)}) {
    c.theta = theta;
    CHECK(refused(c));
  }
  c = ok;
  c.scaling = RopeScaling::Linear;
  c.factor = 0;
  CHECK(refused(c));
  c = ok;
  c.scaling = RopeScaling::Llama3;
  c.factor = 8;
  c.original_max_positions = 8192;
  c.low_freq_factor = c.high_freq_factor = 4;  // would divide by zero
  CHECK(refused(c));
  c = ok;
  c.scaling = RopeScaling::Yarn;
  c.factor = 4;
  c.original_max_positions = 4096;
  CHECK_FALSE(refused(c));
  c.theta = 1.0;  // log theta = 0
  CHECK(refused(c));
  c.theta = 10000;
  c.beta_slow = 0;
  CHECK(refused(c));
  c = ok;
  c.scaling = static_cast<RopeScaling>(9);
  CHECK(refused(c));
}

TEST_CASE("rope cos / sin and the rotation of both layouts", "[kernels][rope]") {
  for (RopeLayout layout : {RopeLayout::Normal, RopeLayout::NeoX}) {
    for (uint32_t rot : {64u, 32u, 2u}) {  // full, partial (pass-through dims), one pair
      RopeConfig c = config(64, rot, 10000.0, RopeScaling::Yarn, 4.0);
      c.layout = layout;
      c.original_max_positions = 2048;  // attention_factor 1.139: cos and sin are scaled
      const RopeFreqs f = rope_freqs(c);
      const uint32_t half = rot / 2, n_heads = 3;
      for (uint64_t pos : {uint64_t{0}, uint64_t{1}, uint64_t{17}, uint64_t{5000}}) {
        std::vector<float> cs(half), sn(half);
        rope_cos_sin(f, pos, cs.data(), sn.data());
        const auto x = random_values(64 * n_heads, static_cast<uint32_t>(pos + rot), -2.f, 2.f);
        std::vector<float> y = x;
        ops_kernels(Isa::Scalar)
            .rope_apply(y.data(), n_heads, 64, rot, layout, cs.data(), sn.data());
        Worst wc, wy, wh;
        for (uint32_t i = 0; i < half; ++i) {
          // The angle is the float32 product (as HF forms it); cos, sin of it rounded, then
          // times the float attention factor: 2 u.
          const float angle = static_cast<float>(pos) * f.inv_freq[i];
          const ld cw = std::cos(static_cast<ld>(angle)) * f.attention_factor;
          const ld sw = std::sin(static_cast<ld>(angle)) * f.attention_factor;
          wc.add(i, cs[i], static_cast<double>(cw), 2 * kU * std::fabs(double(cw)) + 1e-15);
          wc.add(i, sn[i], static_cast<double>(sw), 2 * kU * std::fabs(double(sw)) + 1e-15);
          for (uint32_t h = 0; h < n_heads; ++h) {
            const uint32_t a = h * 64 + (layout == RopeLayout::Normal ? 2 * i : i);
            const uint32_t b = layout == RopeLayout::Normal ? a + 1 : a + half;
            const ld p = x[a], q = x[b];
            // Two products and a difference in float against exact cos, sin: each product
            // rounds (u) and carries cos / sin's 2 u, the difference rounds (u).
            const ld ya = p * cw - q * sw, yb = q * cw + p * sw;
            const double terms = static_cast<double>(std::fabs(p * cw) + std::fabs(q * sw));
            const double terms_b = static_cast<double>(std::fabs(q * cw) + std::fabs(p * sw));
            wy.add(a, y[a], double(ya), 3 * kU * terms + kU * std::fabs(double(ya)) + 0x1p-149);
            wy.add(b, y[b], double(yb), 3 * kU * terms_b + kU * std::fabs(double(yb)) + 0x1p-149);
          }
        }
        for (uint32_t h = 0; h < n_heads; ++h) {
          for (uint32_t d = rot; d < 64; ++d) CHECK(y[h * 64 + d] == x[h * 64 + d]);
          if (layout != RopeLayout::NeoX) continue;
          // HF: x * cat(cos, cos) + rotate_half(x) * cat(sin, sin) over the rotated part,
          // rotate_half(x) = cat(-x2, x1): the same float operations, so equal bits.
          for (uint32_t d = 0; d < rot; ++d) {
            const float* r = x.data() + h * 64;
            const float rh = d < half ? -r[d + half] : r[d - half];
            const float want = r[d] * cs[d % half] + rh * sn[d % half];
            wh.add(d, y[h * 64 + d], want, 0x1p-149);
          }
        }
        INFO("layout=" << int(layout) << " rot=" << rot << " pos=" << pos << " cos/sin "
                       << wc.describe() << " | rotation " << wy.describe() << " | hf "
                       << wh.describe());
        CHECK(wc.ok());
        CHECK(wy.ok());
        CHECK(wh.ok());
        if (pos == 0) {  // angle 0: cos = attention factor, sin = 0
          for (uint32_t i = 0; i < half; ++i) CHECK((cs[i] == f.attention_factor && sn[i] == 0));
        }
      }
    }
  }
}

TEST_CASE("AVX2 rope_apply is bit-identical to scalar", "[kernels][rope][avx2]") {
  if (!have_avx2()) {
    WARN("no AVX2 kernels in this build or CPU: nothing to compare");
    return;
  }
  // Head sizes 1..67, 896, 4096 (odd ones rotate their even leading part) and 128, 256; the
  // rotated part is the largest even one, about half, and one pair.
  std::vector<uint32_t> heads;
  for (uint64_t d : sizes()) heads.push_back(static_cast<uint32_t>(d));
  heads.push_back(128);
  heads.push_back(256);
  for (RopeLayout layout : {RopeLayout::Normal, RopeLayout::NeoX}) {
    for (uint32_t head : heads) {
      for (uint32_t rot : {head & ~1u, (head / 2) & ~1u, 2u}) {
        if (rot == 0 || rot > head) continue;
        for (uint64_t off : kOffsets) {
          const uint32_t n_heads = 5;
          const uint64_t n = uint64_t{n_heads} * head;
          const auto x = random_values(n, head * 31 + rot + static_cast<uint32_t>(off), -3, 3);
          const auto cs = random_values(rot / 2, rot, -1.f, 1.f);
          const auto sn = random_values(rot / 2, rot + 1, -1.f, 1.f);
          Guarded got(n, off), want(n, 0);
          std::memcpy(got.data(), x.data(), n * 4);
          std::memcpy(want.data(), x.data(), n * 4);
          ops_kernels(Isa::Avx2).rope_apply(got.data(), n_heads, head, rot, layout, cs.data(),
                                            sn.data());
          ops_kernels(Isa::Scalar)
              .rope_apply(want.data(), n_heads, head, rot, layout, cs.data(), sn.data());
          INFO("layout=" << int(layout) << " head=" << head << " rot=" << rot << " off=" << off);
          CHECK(std::memcmp(got.data(), want.data(), n * 4) == 0);
          CHECK(got.intact());
        }
      }
    }
  }
}
