// Tests of the runtime's elementwise and normalization kernels (kernels/ops.hpp): each scalar
// kernel against a long-double evaluation of its formula written here (docs/kernels.md), and
// each AVX2 kernel against the scalar one, over sizes 1..67, 896 and 4096, at unaligned
// offsets, with a guard after the end of every output. The bound of each check is stated
// beside it with its reason (docs/kernels.md#accuracy derives them). RoPE is in
// test_kernels_rope.cpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <vector>

#include <catch2/catch.hpp>

#include "kernels/ops.hpp"
#include "kernels_ops_check.hpp"

using namespace mwt::detail;
using namespace mwt::detail::kernels;
using namespace kernels_test;
using ld = long double;

namespace {

const OpsKernels& scalar() { return ops_kernels(Isa::Scalar); }

// The scalar kernels round a double result once: within u = 2^-24 relative of the exact value,
// plus 2^-40 relative for the double arithmetic before it (a few thousand roundings of 2^-53 at
// most), plus half the subnormal spacing where the result is subnormal.
double scalar_bound(ld want) {
  return (kU + 0x1p-40) * std::fabs(static_cast<double>(want)) + 0x1p-150;
}

// Values an elementwise kernel is fed besides random ones: signed zeros, subnormals, the float
// range's ends, infinities, NaN, and arguments where exp and erfc underflow or saturate.
std::vector<float> special_values() {
  const float inf = std::numeric_limits<float>::infinity();
  return {
      0.0f,   -0.0f,  1e-45f,  -1e-45f,  1e-38f,  -1e-38f, 1e-7f,
      -1e-7f, 0.5f,   -0.5f,   3.0f,     -3.0f,   9.0f,    -9.0f,
      15.0f,  -15.0f, 30.0f,   -30.0f,   87.0f,   -87.0f,  88.5f,
      -88.5f, 89.0f,  -89.0f,  103.0f,   -103.0f, 110.0f,  -110.0f,
      1e10f,  -1e10f, 3.4e38f, -3.4e38f, inf,     -inf,    std::numeric_limits<float>::quiet_NaN()};
}

// Elementwise ops: the kernel, its long-double formula and its AVX2 bound relative to scalar.
struct Unary {
  const char* name;
  void (*OpsKernels::*kernel)(const float*, float*, uint64_t) noexcept;
  ld (*exact)(ld x);
  double (*avx2_bound)(double x, double y);
};

ld phi_x(ld x) { return 0.5L * x * std::erfc(-x / std::sqrt(2.0L)); }
// 1 + tanh(u) = 2 / (1 + e^(-2u)) (exact identity; the plain form loses all its digits to
// cancellation in long double below x = -9, so it is checked separately on |x| <= 3).
ld gelu_tanh_u(ld x) {
  return std::sqrt(2.0L / std::numbers::pi_v<ld>) * (x + 0.044715L * x * x * x);
}
ld gelu_tanh_exact(ld x) { return x / (1.0L + std::exp(-2.0L * gelu_tanh_u(x))); }
ld silu_exact(ld x) { return x / (1.0L + std::exp(-x)); }

// The AVX2 bounds (relative to the scalar result y, for input x). xsimd's exp returns 0 below
// ln(FLT_MIN) instead of a subnormal, and its erfc likewise, so products x * (such a value)
// may differ by up to |x| FLT_MIN: the absolute term (1 + |x|) FLT_MIN.
//  - gelu_erf: erfc(z), z = -x / sqrt 2, has relative condition 2 z^2 for large |z| and z is
//    rounded once in float (2 z^2 u); xsimd's erfc forms exp(-z^2) from z^2 rounded in float
//    (z^2 u more); its polynomial, the two products and the scalar's rounding: 8 u. 4 z^2
//    leaves a margin over the 3 z^2 (held to 8 + 2 z^2, the worst element was 1.6 times over).
double gelu_erf_bound(double x, double y) {
  const double z = x / std::numbers::sqrt2;
  return (8.0 + 4.0 * z * z) * kU * std::fabs(y) + (1.0 + std::fabs(x)) * kFltMin;
}
//  - gelu_tanh: u = sqrt(2 / pi) (x + 0.044715 x^3) takes 5 float roundings, which exp(-2|u|)
//    amplifies by 2|u|: 10 |u| u; exp, 1 + e, the division, the products: 8 u.
double gelu_tanh_bound(double x, double y) {
  const double u = std::fabs(static_cast<double>(gelu_tanh_u(x)));
  return (8.0 + 10.0 * u) * kU * std::fabs(y) + (1.0 + std::fabs(x)) * kFltMin;
}
//  - silu: exp(-|x|) (its argument exact) 2 u, 1 + e, the division, e * r, x * s: 4 u, and the
//    scalar's rounding: 8 u in all.
double silu_bound(double x, double y) {
  return 8.0 * kU * std::fabs(y) + (1.0 + std::fabs(x)) * kFltMin;
}

const Unary kUnary[] = {
    {"gelu_erf", &OpsKernels::gelu_erf, phi_x, gelu_erf_bound},
    {"gelu_tanh", &OpsKernels::gelu_tanh, gelu_tanh_exact, gelu_tanh_bound},
    {"silu", &OpsKernels::silu, silu_exact, silu_bound},
};

}  // namespace

TEST_CASE("elementwise scalar kernels match their formula in long double", "[kernels][ops]") {
  for (const Unary& op : kUnary) {
    for (uint64_t n : sizes()) {
      for (uint64_t off : kOffsets) {
        std::vector<float> x = random_values(n, static_cast<uint32_t>(n * 7 + off), -12.f, 12.f);
        Guarded y(n, off);
        (scalar().*op.kernel)(x.data(), y.data(), n);
        Worst w;
        for (uint64_t i = 0; i < n; ++i) {
          const ld want = op.exact(x[i]);
          w.add(i, y[i], static_cast<double>(want), scalar_bound(want));
        }
        INFO(op.name << " n=" << n << " off=" << off << " " << w.describe());
        CHECK(w.ok());
        CHECK(y.intact());
      }
    }
  }
}

TEST_CASE("elementwise scalar kernels on special values", "[kernels][ops]") {
  const std::vector<float> x = special_values();
  const float inf = std::numeric_limits<float>::infinity();
  for (const Unary& op : kUnary) {
    std::vector<float> y(x.size());
    (scalar().*op.kernel)(x.data(), y.data(), x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      INFO(op.name << " x=" << x[i] << " y=" << y[i]);
      if (std::isnan(x[i]) || x[i] == -inf) {
        CHECK(std::isnan(y[i]));  // -inf * 0, as torch's formulas give too
      } else if (x[i] == inf) {
        CHECK(y[i] == inf);
      } else {
        const ld want = op.exact(x[i]);
        CHECK(std::fabs(y[i] - static_cast<double>(want)) <= scalar_bound(want));
      }
    }
  }
  // The plain tanh form agrees with the identity the reference uses where it has digits.
  for (float v = -3.0f; v <= 3.0f; v += 0.25f) {
    const ld plain = 0.5L * v * (1.0L + std::tanh(gelu_tanh_u(v)));
    CHECK(std::fabs(static_cast<double>(plain - gelu_tanh_exact(v))) <= 1e-15);
  }
}

TEST_CASE("swiglu scalar kernel matches silu(a) * b in long double", "[kernels][ops]") {
  for (uint64_t n : sizes()) {
    const std::vector<float> a = random_values(n, static_cast<uint32_t>(n), -12.f, 12.f);
    const std::vector<float> b = random_values(n, static_cast<uint32_t>(n + 1), -4.f, 4.f);
    Guarded y(n, 1);
    scalar().swiglu(a.data(), b.data(), y.data(), n);
    Worst w;
    for (uint64_t i = 0; i < n; ++i) {
      const ld want = silu_exact(a[i]) * b[i];
      w.add(i, y[i], static_cast<double>(want), scalar_bound(want));
    }
    INFO("n=" << n << " " << w.describe());
    CHECK(w.ok());
    CHECK(y.intact());
  }
}

TEST_CASE("rms_norm and layer_norm scalar kernels match long double", "[kernels][ops]") {
  for (uint64_t n : sizes()) {
    for (uint64_t off : kOffsets) {
      const auto x = random_values(n, static_cast<uint32_t>(3 * n + off), -3.f, 5.f);
      const auto wt = random_values(n, static_cast<uint32_t>(5 * n + off), 0.5f, 1.5f);
      const auto bias = random_values(n, static_cast<uint32_t>(11 * n + off), -1.f, 1.f);
      const float eps = 1e-6f;
      ld ss = 0, sum = 0;
      for (float v : x) ss += static_cast<ld>(v) * v, sum += v;
      const ld rr = 1.0L / std::sqrt(ss / n + static_cast<ld>(eps));
      const ld mean = sum / n;
      ld var = 0;
      for (float v : x) var += (v - mean) * (v - mean);
      const ld rl = 1.0L / std::sqrt(var / n + static_cast<ld>(eps));
      for (bool weighted : {true, false}) {
        Guarded y(n, off), z(n, off);
        scalar().rms_norm(x.data(), weighted ? wt.data() : nullptr, y.data(), n, eps);
        scalar().layer_norm(x.data(), weighted ? wt.data() : nullptr,
                            weighted ? bias.data() : nullptr, z.data(), n, eps);
        Worst wr, wl;
        for (uint64_t i = 0; i < n; ++i) {
          const ld g = weighted ? static_cast<ld>(wt[i]) : 1.0L;
          const ld want_r = x[i] * rr * g;
          wr.add(i, y[i], static_cast<double>(want_r), scalar_bound(want_r));
          // LayerNorm's result can cancel (the bias against the normalised value): the double
          // arithmetic's error is relative to the terms, 2^-40 (|t| + |b|), not to the result.
          const ld t = (x[i] - mean) * rl * g, bi = weighted ? static_cast<ld>(bias[i]) : 0.0L;
          const double bound_l =
              scalar_bound(t + bi) + 0x1p-40 * static_cast<double>(std::fabs(t) + std::fabs(bi));
          wl.add(i, z[i], static_cast<double>(t + bi), bound_l);
        }
        INFO("n=" << n << " off=" << off << " weighted=" << weighted << " rms " << wr.describe()
                  << " | layer " << wl.describe());
        CHECK(wr.ok());
        CHECK(wl.ok());
        CHECK(y.intact());
        CHECK(z.intact());
      }
    }
  }
}

TEST_CASE("norm kernels in place and at n = 0", "[kernels][ops]") {
  std::vector<float> x = {1.f, -2.f, 3.f, 0.5f};
  std::vector<float> y(4);
  for (const OpsKernels* k : {&scalar(), &ops_kernels(have_avx2() ? Isa::Avx2 : Isa::Scalar)}) {
    std::vector<float> in_place = x;
    k->rms_norm(x.data(), nullptr, y.data(), 4, 1e-5f);
    k->rms_norm(in_place.data(), nullptr, in_place.data(), 4, 1e-5f);
    CHECK(in_place == y);
    in_place = x;
    k->layer_norm(x.data(), nullptr, nullptr, y.data(), 4, 1e-5f);
    k->layer_norm(in_place.data(), nullptr, nullptr, in_place.data(), 4, 1e-5f);
    CHECK(in_place == y);
    // Results beyond float's range are infinities (converted without undefined behaviour).
    const float big[2] = {3e38f, 0.0f}, wbig[2] = {3e38f, 1.0f};
    float out[2];
    k->rms_norm(big, wbig, out, 2, 0.0f);  // x r = sqrt 2, times 3e38
    CHECK(out[0] == std::numeric_limits<float>::infinity());
    CHECK(out[1] == 0.0f);
    k->swiglu(big, big, out, 1);
    CHECK(out[0] == std::numeric_limits<float>::infinity());
    // n = 0: nothing is read or written (the pointers are NULL).
    k->rms_norm(nullptr, nullptr, nullptr, 0, 1e-5f);
    k->layer_norm(nullptr, nullptr, nullptr, nullptr, 0, 1e-5f);
    k->softmax(nullptr, 0, 1.0f, 5);
    k->gelu_erf(nullptr, nullptr, 0);
    k->gelu_tanh(nullptr, nullptr, 0);
    k->silu(nullptr, nullptr, 0);
    k->swiglu(nullptr, nullptr, nullptr, 0);
    k->rope_apply(nullptr, 0, 64, 64, RopeLayout::NeoX, nullptr, nullptr);
  }
}

TEST_CASE("softmax scalar kernel matches long double, with scale and length mask",
          "[kernels][ops]") {
  for (uint64_t n : sizes()) {
    for (float scale : {1.0f, 0.125f, -0.5f}) {
      for (uint64_t n_valid : {n, n / 2 + 1, n + 7}) {
        const auto x = random_values(n, static_cast<uint32_t>(n * 13 + n_valid), -10.f, 10.f);
        Guarded y(n, 3);
        std::memcpy(y.data(), x.data(), n * 4);
        scalar().softmax(y.data(), n, scale, n_valid);
        const uint64_t m = std::min(n_valid, n);
        ld mx = -INFINITY, sum = 0;
        for (uint64_t i = 0; i < m; ++i) mx = std::max(mx, static_cast<ld>(x[i]) * scale);
        for (uint64_t i = 0; i < m; ++i) sum += std::exp(static_cast<ld>(x[i]) * scale - mx);
        Worst w;
        for (uint64_t i = 0; i < m; ++i) {
          const ld want = std::exp(static_cast<ld>(x[i]) * scale - mx) / sum;
          // Two float roundings (the exponential kept in the output between passes, then the
          // quotient), and the subnormal spacing.
          w.add(i, y[i], static_cast<double>(want), 2 * scalar_bound(want));
        }
        INFO("n=" << n << " scale=" << scale << " n_valid=" << n_valid << " " << w.describe());
        CHECK(w.ok());
        for (uint64_t i = m; i < n; ++i) CHECK(y[i] == 0.0f);
        CHECK(y.intact());
      }
    }
  }
}

TEST_CASE("softmax special cases", "[kernels][ops]") {
  const float inf = std::numeric_limits<float>::infinity();
  for (const OpsKernels* k : {&scalar(), &ops_kernels(have_avx2() ? Isa::Avx2 : Isa::Scalar)}) {
    // Stable: scores far above exp's range give the same distribution as their differences.
    std::vector<float> big = {1000.f, 999.f, -inf};
    k->softmax(big.data(), 3, 1.0f, 3);
    const double e1 = std::exp(-1.0);
    CHECK(std::fabs(big[0] - 1.0 / (1.0 + e1)) <= 4 * kU);
    CHECK(std::fabs(big[1] - e1 / (1.0 + e1)) <= 4 * kU);
    CHECK(big[2] == 0.0f);
    // n_valid = 0: every value masked.
    std::vector<float> z = {1.f, 2.f};
    k->softmax(z.data(), 2, 1.0f, 0);
    CHECK((z[0] == 0.0f && z[1] == 0.0f));
    // All -inf, or a NaN: NaN everywhere (torch's softmax gives the same).
    std::vector<float> ninf = {-inf, -inf, -inf};
    k->softmax(ninf.data(), 3, 1.0f, 3);
    for (float v : ninf) CHECK(std::isnan(v));
    std::vector<float> nan = {1.f, std::numeric_limits<float>::quiet_NaN(), 2.f};
    k->softmax(nan.data(), 3, 1.0f, 3);
    for (float v : nan) CHECK(std::isnan(v));
  }
}

TEST_CASE("AVX2 elementwise kernels match scalar", "[kernels][ops][avx2]") {
  if (!have_avx2()) {
    WARN("no AVX2 kernels in this build or CPU: nothing to compare");
    return;
  }
  const OpsKernels& v = ops_kernels(Isa::Avx2);
  REQUIRE(&v != &scalar());
  for (const Unary& op : kUnary) {
    for (uint64_t n : sizes()) {
      for (uint64_t off : kOffsets) {
        std::vector<float> x = random_values(n, static_cast<uint32_t>(n * 17 + off), -14.f, 14.f);
        if (n >= 40) {  // the special values at varying lanes
          const auto sp = special_values();
          for (size_t j = 0; j < sp.size(); ++j) x[(j * 7 + off) % n] = sp[j];
        }
        Guarded got(n, off), want(n, 0);
        (v.*op.kernel)(x.data(), got.data(), n);
        (scalar().*op.kernel)(x.data(), want.data(), n);
        Worst w;
        for (uint64_t i = 0; i < n; ++i) w.add(i, got[i], want[i], op.avx2_bound(x[i], want[i]));
        INFO(op.name << " n=" << n << " off=" << off << " " << w.describe());
        CHECK(w.ok());
        CHECK(got.intact());
        // In place gives the same values.
        std::vector<float> in_place = x;
        (v.*op.kernel)(in_place.data(), in_place.data(), n);
        CHECK(std::memcmp(in_place.data(), got.data(), n * 4) == 0);
      }
    }
  }
}

TEST_CASE("AVX2 swiglu and rms_norm match scalar", "[kernels][ops][avx2]") {
  if (!have_avx2()) {
    WARN("no AVX2 kernels in this build or CPU: nothing to compare");
    return;
  }
  const OpsKernels& v = ops_kernels(Isa::Avx2);
  for (uint64_t n : sizes()) {
    for (uint64_t off : kOffsets) {
      const auto a = random_values(n, static_cast<uint32_t>(n * 19 + off), -14.f, 14.f);
      const auto b = random_values(n, static_cast<uint32_t>(n * 23 + off), -4.f, 4.f);
      Guarded got(n, off), want(n, 0);
      v.swiglu(a.data(), b.data(), got.data(), n);
      scalar().swiglu(a.data(), b.data(), want.data(), n);
      Worst w;
      // silu's 8 u plus one more product, and its absolute term scaled by |b|.
      for (uint64_t i = 0; i < n; ++i)
        w.add(i, got[i], want[i],
              9 * kU * std::fabs(want[i]) + (1.0 + std::fabs(a[i])) * std::fabs(b[i]) * kFltMin);
      INFO("swiglu n=" << n << " off=" << off << " " << w.describe());
      CHECK(w.ok());
      CHECK(got.intact());

      for (bool weighted : {true, false}) {
        Guarded gr(n, off), wr(n, 0);
        v.rms_norm(a.data(), weighted ? b.data() : nullptr, gr.data(), n, 1e-5f);
        scalar().rms_norm(a.data(), weighted ? b.data() : nullptr, wr.data(), n, 1e-5f);
        Worst wn;
        // The sum of squares is exact in double lanes; r rounded to float, x * r and * w: 3 u,
        // and the scalar's rounding: 4 u.
        for (uint64_t i = 0; i < n; ++i)
          wn.add(i, gr[i], wr[i], 4 * kU * std::fabs(wr[i]) + 0x1p-149);
        INFO("rms_norm n=" << n << " off=" << off << " weighted=" << weighted << " "
                           << wn.describe());
        CHECK(wn.ok());
        CHECK(gr.intact());
      }
    }
  }
}

TEST_CASE("AVX2 softmax matches scalar", "[kernels][ops][avx2]") {
  if (!have_avx2()) {
    WARN("no AVX2 kernels in this build or CPU: nothing to compare");
    return;
  }
  const OpsKernels& v = ops_kernels(Isa::Avx2);
  for (uint64_t n : sizes()) {
    for (uint64_t off : kOffsets) {
      for (float scale : {1.0f, 0.125f}) {
        for (uint64_t n_valid : {n, n / 3 + 1}) {
          const auto x = random_values(n, static_cast<uint32_t>(n * 29 + off), -20.f, 20.f);
          Guarded got(n, off), want(n, 0);
          std::memcpy(got.data(), x.data(), n * 4);
          std::memcpy(want.data(), x.data(), n * 4);
          v.softmax(got.data(), n, scale, n_valid);
          scalar().softmax(want.data(), n, scale, n_valid);
          // AVX2 rounds t = x scale - m once in float, so exp(t) carries |t| u on top of exp's
          // own 2 u; the double sum of those exponentials carries their e-weighted mean error
          // S; 1 / sum and the product add 2 u, the scalar's two roundings 2 u more:
          // (|t| + 6) u + S relative, and FLT_MIN absolute (exp flushes subnormals to 0).
          const uint64_t m = std::min(n_valid, n);
          float mx = -INFINITY;
          for (uint64_t i = 0; i < m; ++i) mx = std::max(mx, x[i] * scale);
          double se = 0, sw = 0;
          for (uint64_t i = 0; i < m; ++i) {
            const double t = static_cast<double>(x[i]) * scale - mx, e = std::exp(t);
            se += e, sw += e * (std::fabs(t) + 2.0) * kU;
          }
          const double s_err = sw / se;
          Worst w;
          for (uint64_t i = 0; i < n; ++i) {
            const double t = i < m ? std::fabs(static_cast<double>(x[i]) * scale - mx) : 0.0;
            w.add(i, got[i], want[i], ((t + 6.0) * kU + s_err) * std::fabs(want[i]) + kFltMin);
          }
          INFO("n=" << n << " off=" << off << " scale=" << scale << " n_valid=" << n_valid << " "
                    << w.describe());
          CHECK(w.ok());
          CHECK(got.intact());
        }
      }
    }
  }
}
