// Tests of the integrity pass's kernels and per-tensor statistics (analysis/stats_kernels.hpp,
// analysis/stats.hpp): the AVX2 kernels against the scalar reference (counts, min, max and the
// hash exactly; mean and M2 within the rounding of reordered double sums), both against a
// naive two-pass oracle over dequantize_scalar's values, on random bits (so NaN payloads,
// -0.0, subnormals and Inf all occur), on special values, on every length around the SIMD
// steps, and on random (hostile) bytes of every type mwt dequantizes.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "analysis/stats.hpp"
#include "analysis/stats_kernels.hpp"
#include "core/dtype.hpp"
#include "core/float_convert.hpp"
#include "core/isa.hpp"
#include "quant/dequant_scalar.hpp"
#include "test_stats_oracle.hpp"

using namespace mwt::detail;
using namespace mwt::detail::analysis;

namespace {

// The scalar kernels sum every value in double: their mean and M2 differ from the long-double
// oracle by a few ulps of double per run, far below 1e-9 of the scale of the data.
constexpr double kRel = 1e-9;

// The AVX2 kernels sum most runs in float32 about a shift inside [min, max]
// (docs/validation.md#accuracy): mean within (S + 2) u R and M2 within (3 S + 8) u N R^2, where
// u = 2^-24, S = kFloatSteps, R = max - min of the finite values, N = their count (plus the
// double rounding kRel covers).
constexpr double kU = 0x1p-24;
double range_of(const ValueStats& s) {  // 0 with no finite value (then mean and M2 are 0)
  return s.finite() == 0 ? 0.0 : static_cast<double>(s.max) - static_cast<double>(s.min);
}
double mean_bound(const ValueStats& s) {
  return static_cast<double>(kFloatSteps + 2) * kU * range_of(s);
}
double m2_bound(const ValueStats& s) {
  const double r = range_of(s);
  return static_cast<double>(3 * kFloatSteps + 8) * kU * static_cast<double>(s.finite()) * r * r;
}

enum class Sums { Double, Float };

using stats_test::Oracle, stats_test::oracle;

void check_against(const ValueStats& s, const Oracle& o, Sums sums) {
  CHECK(s.count == o.count);
  CHECK(s.nan == o.nan);
  CHECK(s.inf == o.inf);
  CHECK(s.zero == o.zero);
  CHECK(s.min == o.min);  // == : -0 and +0 are the same minimum
  CHECK(s.max == o.max);
  if (s.finite() == 0) return;
  const double scale = o.absmean + std::sqrt(o.m2 / static_cast<double>(s.finite()));
  // Float sums: the bound of docs/validation.md#accuracy on top of the double rounding.
  const bool f = sums == Sums::Float;
  CHECK(std::fabs(s.mean - o.mean) <= kRel * scale + (f ? mean_bound(s) : 0.0));
  // M2 sums squares: compare it on the scale of the sum of squares.
  const double sq_scale = static_cast<double>(s.finite()) * scale * scale;
  CHECK(std::fabs(s.m2 - o.m2) <= kRel * sq_scale + (f ? m2_bound(s) : 0.0));
}

// a from the AVX2 kernels, b from the scalar ones: exact counts, min and max; mean and M2 within
// the float-sum bound (b's own error is within kRel).
void check_same(const ValueStats& a, const ValueStats& b) {
  CHECK(a.count == b.count);
  CHECK(a.nan == b.nan);
  CHECK(a.inf == b.inf);
  CHECK(a.zero == b.zero);
  CHECK(a.min == b.min);
  CHECK(a.max == b.max);
  const double scale = std::fabs(a.mean) + std::sqrt(a.m2 / std::max<double>(1, a.finite()));
  CHECK(std::fabs(a.mean - b.mean) <= kRel * (scale + 1e-300) + mean_bound(a));
  CHECK(std::fabs(a.m2 - b.m2) <= kRel * (std::fabs(a.m2) + 1e-300) + m2_bound(a));
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

std::vector<float> decode(DType t, const std::vector<uint8_t>& bytes) {
  const DTypeInfo& info = *dtype_info(static_cast<uint32_t>(t));
  const uint64_t n = bytes.size() / info.block_bytes * info.block_elems;
  std::vector<float> out(n);
  dequantize_scalar(t, bytes.data(), bytes.size(), out.data(), n);
  return out;
}

bool have_avx2() {
  if (cpu_has_avx2()) return true;
  WARN("SKIPPED: this CPU has no AVX2/FMA/F16C, so the AVX2 kernels cannot be compared here");
  return false;
}

// Bytes of F32 values built from a list.
std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

}  // namespace

TEST_CASE("stats kernels: float formats on random bits, scalar and AVX2 vs the oracle", "[stats]") {
  const StatsKernels& scalar = stats_kernels(Isa::Scalar);
  for (DType t : {DType::F32, DType::F16, DType::BF16}) {
    const auto fn = t == DType::F32 ? scalar.f32 : t == DType::F16 ? scalar.f16 : scalar.bf16;
    const uint32_t size = dtype_info(static_cast<uint32_t>(t))->block_bytes;
    for (uint64_t n :
         {0u, 1u, 7u, 8u, 9u, 15u, 16u, 17u, 23u, 1023u, 1024u, 1025u, 5000u, 5001u, 20001u}) {
      INFO(dtype_info(static_cast<uint32_t>(t))->name << " n=" << n);
      auto bytes = random_bytes(n * size, static_cast<uint32_t>(n) * 7 + size);
      // Every other size with the NaN / Inf encodings cleared (exponent all ones -> top bit
      // of the exponent off): runs of finite values only, which the AVX2 kernel takes a
      // separate path for; subnormals and -0 stay.
      if (n % 2 == 1)
        for (size_t i = size - 1; i < bytes.size(); i += size)
          if (t == DType::F16 ? (bytes[i] & 0x7C) == 0x7C
                              : (bytes[i] & 0x7F) == 0x7F && (bytes[i - 1] & 0x80) != 0)
            bytes[i] &= 0xBF;
      const Oracle o = oracle(decode(t, bytes));
      ValueStats s;
      fn(bytes.data(), n, s);
      check_against(s, o, Sums::Double);
      if (!have_avx2()) continue;
#if defined(MWT_KERNELS_X86_AVX2)
      const StatsKernels& v = stats_kernels(Isa::Avx2);
      const auto vf = t == DType::F32 ? v.f32 : t == DType::F16 ? v.f16 : v.bf16;
      ValueStats a;
      vf(bytes.data(), n, a);
      check_against(a, o, Sums::Float);
      check_same(a, s);
#endif
    }
  }
}

TEST_CASE("stats kernels: special values", "[stats]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float sub = std::numeric_limits<float>::denorm_min();
  std::vector<float> v = {-0.0f, 0.0f, sub, -sub, inf, -inf, 1.5f, -2.25f, 3.0e38f, -3.0e38f};
  // NaNs with payloads and both signs
  for (uint32_t bits : {0x7FC00000u, 0xFFC00001u, 0x7F800001u, 0xFFBFFFFFu}) {
    float f;
    std::memcpy(&f, &bits, 4);
    v.push_back(f);
  }
  std::vector<float> all_neg_zero(13, -0.0f);
  std::vector<float> all_nan(9, std::numeric_limits<float>::quiet_NaN());
  for (const std::vector<float>* values : {&v, &all_neg_zero, &all_nan}) {
    const auto bytes = f32_bytes(*values);
    const Oracle o = oracle(*values);
    for (Isa isa : {Isa::Scalar, Isa::Avx2}) {
      if (isa == Isa::Avx2 && !have_avx2()) continue;
      ValueStats s;
      stats_kernels(isa).f32(bytes.data(), values->size(), s);
      INFO(isa_name(isa));
      check_against(s, o, isa == Isa::Avx2 ? Sums::Float : Sums::Double);
    }
  }
  ValueStats s;
  const auto bytes = f32_bytes(v);
  stats_kernels(Isa::Scalar).f32(bytes.data(), v.size(), s);
  CHECK(s.nan == 4);
  CHECK(s.inf == 2);
  CHECK(s.zero == 2);
  CHECK(s.min == -3.0e38f);
  CHECK(s.max == 3.0e38f);
}

TEST_CASE("stats kernels: sums over large offsets keep precision", "[stats]") {
  // |mean| >> std: a naive float sum or sum-of-squares formula would lose the spread. 1e4 + N(0,
  // 1) and layer-norm-like weights 1 + N(0, 0.01), each with an exact-double and float-sum run.
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (const auto& [offset, sigma] : {std::pair{1e4f, 1.0f}, std::pair{1.0f, 0.01f}}) {
    std::vector<float> v(100000);
    for (auto& x : v) x = offset + sigma * noise(rng);
    const auto bytes = f32_bytes(v);
    const Oracle o = oracle(v);
    INFO("offset " << offset << " sigma " << sigma);
    ValueStats s;
    stats_kernels(Isa::Scalar).f32(bytes.data(), v.size(), s);
    // Exact double sums: the offset costs (offset / sigma)^2 <= 1e8 of cancellation in double
    // (u = 2^-53), leaving ~1e-8 of the variance and far less of the mean.
    CHECK(std::fabs(s.m2 - o.m2) <= 1e-6 * o.m2);
    CHECK(std::fabs(s.mean - o.mean) <= 1e-12 * o.mean);
    if (!have_avx2()) continue;
    ValueStats a;
    stats_kernels(Isa::Avx2).f32(bytes.data(), v.size(), a);
    // Float sums about the shift: the bound of docs/validation.md#accuracy, which depends on
    // the range (~9 sigma here) and not on the offset; it is ~2.7e-4 of M2, while summing the
    // unshifted squares in float would leave S u (offset / sigma)^2 ~ 1e2 (1e4) of it.
    CHECK(std::fabs(a.m2 - o.m2) <= m2_bound(a) + 1e-6 * o.m2);
    CHECK(std::fabs(a.mean - o.mean) <= mean_bound(a) + 1e-12 * o.mean);
    CHECK(m2_bound(a) < 1e-3 * o.m2);  // the bound itself is meaningful here
    CHECK(a.min == o.min);
    CHECK(a.max == o.max);
  }
}

TEST_CASE("stats kernels: constant runs are exact; tiny spreads are not lost to underflow",
          "[stats]") {
  if (!have_avx2()) return;
  // A constant tensor: every float run is one repeated value, exact (mean that value, M2 0).
  std::vector<float> flat(5000, 0.25f);
  ValueStats c;
  stats_kernels(Isa::Avx2).f32(f32_bytes(flat).data(), flat.size(), c);
  CHECK(c.mean == 0.25);
  CHECK(c.m2 == 0.0);
  // One outlier in the third run: within the bound.
  flat[2500] = 1.0f;
  const Oracle o = oracle(flat);
  ValueStats d;
  stats_kernels(Isa::Avx2).f32(f32_bytes(flat).data(), flat.size(), d);
  check_against(d, o, Sums::Float);
  // Values ~1e-30: their squares (~1e-60) underflow float32 entirely, so the float runs must
  // be taken again in double; otherwise M2 would come out 0 and fail the bound.
  std::mt19937 rng(9);
  std::normal_distribution<float> noise(0.0f, 1e-30f);
  std::vector<float> tiny(5000);
  for (auto& x : tiny) x = noise(rng);
  const Oracle ot = oracle(tiny);
  ValueStats t;
  stats_kernels(Isa::Avx2).f32(f32_bytes(tiny).data(), tiny.size(), t);
  check_against(t, ot, Sums::Float);
  CHECK(t.m2 > 0.5 * ot.m2);
}

TEST_CASE("stats kernels: the hash is the same on every ISA and sees order", "[stats]") {
  const auto bytes = random_bytes(4096 + 77, 11);
  const StatsKernels& scalar = stats_kernels(Isa::Scalar);
  for (uint64_t n = 0; n <= bytes.size(); n += (n < 200 ? 1 : 509)) {
    const uint64_t h = scalar.hash(bytes.data(), n);
    if (have_avx2()) {
      INFO("n=" << n);
      CHECK(stats_kernels(Isa::Avx2).hash(bytes.data(), n) == h);
    }
  }
  // Swapping two 32-byte stripes, flipping one bit, or appending a zero byte changes the hash.
  auto swapped = bytes;
  std::swap_ranges(swapped.begin(), swapped.begin() + 32, swapped.begin() + 64);
  CHECK(scalar.hash(swapped.data(), 4096) != scalar.hash(bytes.data(), 4096));
  auto flipped = bytes;
  flipped[1000] ^= 4;
  CHECK(scalar.hash(flipped.data(), 4096) != scalar.hash(bytes.data(), 4096));
  std::vector<uint8_t> zeros(65, 0);
  CHECK(scalar.hash(zeros.data(), 64) != scalar.hash(zeros.data(), 65));
}

TEST_CASE("tensor_stats: every dequantizable type on random bytes, scalar vs AVX2 vs oracle",
          "[stats]") {
  for (const DTypeInfo& info : kDTypeTable) {
    if (!can_dequantize(info.id)) continue;
    INFO(info.name);
    // Random bytes are hostile input for block types (any scale, any index); 37 blocks is not
    // a multiple of any piece size, and a second size spans several chunks' worth of pieces.
    for (uint64_t blocks : {uint64_t{1}, uint64_t{37}, uint64_t{70000} / info.block_elems + 3}) {
      const auto bytes = random_bytes(blocks * info.block_bytes, info.block_bytes + blocks);
      const Oracle o = oracle(decode(info.id, bytes));
      const TensorStats s = tensor_stats(Isa::Scalar, info.id, bytes.data(), bytes.size());
      CHECK(s.decoded);
      check_against(s.values, o, Sums::Double);
      if (!have_avx2()) continue;
      const TensorStats a = tensor_stats(Isa::Avx2, info.id, bytes.data(), bytes.size());
      check_same(a.values, s.values);
      CHECK(a.hash == s.hash);
      CHECK(a.scales.blocks == s.scales.blocks);
      CHECK(a.scales.nonfinite == s.scales.nonfinite);
      CHECK(a.scales.negative == s.scales.negative);
    }
  }
}

TEST_CASE("tensor_stats: types mwt cannot decode are hashed only; bad sizes refused", "[stats]") {
  const auto bytes = random_bytes(36 * 3, 2);
  const TensorStats s = tensor_stats(Isa::Scalar, DType::Q8_1, bytes.data(), bytes.size());
  CHECK_FALSE(s.decoded);
  CHECK(s.values.count == 0);
  CHECK(s.hash != tensor_stats(Isa::Scalar, DType::Q8_1, bytes.data(), 36).hash);
  CHECK_THROWS(tensor_stats(Isa::Scalar, DType::Q4_K, bytes.data(), 100));
  CHECK_THROWS(tensor_stats(Isa::Scalar, static_cast<DType>(4), bytes.data(), 10));
}

TEST_CASE("check_scales: the rules of docs/validation.md#block-scales", "[stats]") {
  auto put16 = [](std::vector<uint8_t>& b, size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v);
    b[at + 1] = static_cast<uint8_t>(v >> 8);
  };
  // Four Q4_K blocks: fine; d negative; dmin negative; d NaN. d = -0 counts as no sign.
  std::vector<uint8_t> b(4 * 144, 0);
  for (int k = 0; k < 4; ++k) {
    put16(b, 144 * k, 0x3C00);      // d = 1
    put16(b, 144 * k + 2, 0x3800);  // dmin = 0.5
  }
  put16(b, 144 * 1, 0xBC00);
  put16(b, 144 * 2 + 2, 0xB800);
  put16(b, 144 * 3, 0x7E00);
  ScaleFindings f;
  check_scales(DType::Q4_K, b.data(), 4, 10, f);
  CHECK(f.blocks == 4);
  CHECK(f.negative == 1);
  CHECK(f.first_negative == 11);
  CHECK(f.negative_min == 1);
  CHECK(f.first_negative_min == 12);
  CHECK(f.nonfinite == 1);
  CHECK(f.first_nonfinite == 13);
  put16(b, 144 * 1, 0x8000);  // -0
  ScaleFindings g;
  check_scales(DType::Q4_K, b.data(), 2, 0, g);
  CHECK(g.negative == 0);
  // Q4_0 and Q6_K: d of either sign (ggml's encoders write negative ones); Inf is not finite.
  std::vector<uint8_t> q(18, 0);
  put16(q, 0, 0xBC00);
  ScaleFindings h;
  check_scales(DType::Q4_0, q.data(), 1, 0, h);
  CHECK(h.negative == 0);
  CHECK(h.nonfinite == 0);
  put16(q, 0, 0xFC00);
  check_scales(DType::Q4_0, q.data(), 1, 0, h);
  CHECK(h.nonfinite == 1);
  // MXFP4: E8M0 0xFF is NaN.
  std::vector<uint8_t> m(17, 0);
  m[0] = 0xFF;
  ScaleFindings x;
  check_scales(DType::MXFP4, m.data(), 1, 0, x);
  CHECK(x.nonfinite == 1);
  CHECK_FALSE(has_scale_rules(DType::F32));
}
