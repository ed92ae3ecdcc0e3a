// Tests of the fused block kernels of the integrity pass (analysis/stats_kernels.hpp's
// BlockStatsKernel rows, x86_avx2/stats_blocks*_avx2.cpp) against their reference, the decode
// path: the scalar decoder's float values (dequantize_scalar) through the scalar statistics
// kernel, and both against the long-double oracle. Counts, min and max must be equal exactly;
// mean and M2 within the double rounding of docs/validation.md#fused-block-statistics (the
// integer sums are exact, the block terms round in double). Blocks: encoded from random values
// of several shapes (the fast paths), random quants under sane random scales (any q pattern,
// either sign of d), and adversarial blocks (d = +-0, negative, NaN, +-Inf, subnormal, huge;
// all-equal and extreme quants; sub-block scales and mins of 0; values that are exactly zero;
// inexact values), at the start, middle and end of groups and runs. The hash must be the scalar
// content hash.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "analysis/stats.hpp"
#include "analysis/stats_kernels.hpp"
#include "core/dtype.hpp"
#include "core/float_convert.hpp"
#include "core/isa.hpp"
#include "quant/blocks.hpp"
#include "quant/dequant_scalar.hpp"
#include "quant/quantize.hpp"
#include "test_stats_oracle.hpp"

using namespace mwt::detail;
using namespace mwt::detail::analysis;
using stats_test::Oracle;

namespace {

// The double rounding of run sums (both the fused kernels and the reference sum in double,
// in different orders): far below this share of the data's scale.
constexpr double kRel = 1e-10;

const DTypeInfo& info_of(DType t) { return *dtype_info(static_cast<uint32_t>(t)); }

// Every type the AVX2 table has a fused kernel for.
std::vector<DType> fused_types() {
  std::vector<DType> out;
  const StatsKernels& k = stats_kernels(Isa::Avx2);
  for (uint32_t i = 0; i < k.block_count; ++i) out.push_back(k.blocks[i].type);
  return out;
}

std::vector<float> decode(DType t, const std::vector<uint8_t>& bytes) {
  const uint64_t n = bytes.size() / info_of(t).block_bytes * info_of(t).block_elems;
  std::vector<float> out(n);
  dequantize_scalar(t, bytes.data(), bytes.size(), out.data(), n);
  return out;
}

void check_exact(const ValueStats& s, const Oracle& o) {
  CHECK(s.count == o.count);
  CHECK(s.nan == o.nan);
  CHECK(s.inf == o.inf);
  CHECK(s.zero == o.zero);
  CHECK(s.min == o.min);  // == : -0 and +0 are the same extreme
  CHECK(s.max == o.max);
}
void check_close(const ValueStats& s, double mean, double m2, double scale) {
  if (s.finite() == 0) return;
  CHECK(std::fabs(s.mean - mean) <= kRel * scale);
  CHECK(std::fabs(s.m2 - m2) <= kRel * static_cast<double>(s.finite()) * scale * scale);
}

// The fused kernel of t (one call over all the blocks, as a piece is) against the decode path
// over the same values, and both against the oracle; and the returned hash.
void check_blocks(DType t, const std::vector<uint8_t>& bytes) {
  const uint64_t n_blocks = bytes.size() / info_of(t).block_bytes;
  const std::vector<float> values = decode(t, bytes);
  const Oracle o = stats_test::oracle(values);
  const StatsKernels& scalar = stats_kernels(Isa::Scalar);
  ValueStats ref;
  scalar.f32(reinterpret_cast<const uint8_t*>(values.data()), values.size(), ref);
  check_exact(ref, o);
  check_close(ref, o.mean, o.m2, o.scale());
  const BlockStatsFn fused = block_stats_kernel(stats_kernels(Isa::Avx2), t);
  REQUIRE(fused != nullptr);
  ValueStats s;
  const uint64_t h = fused(bytes.data(), n_blocks, s);
  check_exact(s, o);
  check_close(s, o.mean, o.m2, o.scale());
  check_close(s, ref.mean, ref.m2, o.scale());
  CHECK(h == scalar.hash(bytes.data(), bytes.size()));
}

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}

// The f16 scale fields of each type: d, and the second scale (m or dmin) if any.
struct ScaleFields {
  uint32_t d;
  int32_t m;  // -1: none
};
ScaleFields scale_fields(DType t) {
  using namespace quant;
  switch (t) {
    case DType::Q8_0: return {BlockQ8_0::d.at, -1};
    case DType::Q4_0: return {BlockQ4_0::d.at, -1};
    case DType::Q5_0: return {BlockQ5_0::d.at, -1};
    case DType::Q4_1: return {BlockQ4_1::d.at, static_cast<int32_t>(BlockQ4_1::m.at)};
    case DType::Q5_1: return {BlockQ5_1::d.at, static_cast<int32_t>(BlockQ5_1::m.at)};
    case DType::Q2_K: return {BlockQ2_K::d.at, static_cast<int32_t>(BlockQ2_K::dmin.at)};
    case DType::Q3_K: return {BlockQ3_K::d.at, -1};
    case DType::Q4_K: return {BlockQ4_K::d.at, static_cast<int32_t>(BlockQ4_K::dmin.at)};
    case DType::Q5_K: return {BlockQ5_K::d.at, static_cast<int32_t>(BlockQ5_K::dmin.at)};
    case DType::Q6_K: return {BlockQ6_K::d.at, -1};
    default: FAIL("no scale fields for this type"); return {0, -1};
  }
}

std::vector<uint8_t> encode(DType t, const std::vector<float>& x) {
  std::vector<uint8_t> q(x.size() / info_of(t).block_elems * info_of(t).block_bytes);
  quantize_scalar(t, x.data(), x.size(), q.data(), q.size());
  return q;
}

// Values of several shapes, n a multiple of 256.
std::vector<float> shaped_values(int shape, uint64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> x(n);
  for (uint64_t i = 0; i < n; ++i) {
    const float z = g(rng);
    switch (shape) {
      case 0: x[i] = 0.02f * z; break;                                      // weights
      case 1: x[i] = 0.005f + 0.02f * z; break;                             // asymmetric
      case 2: x[i] = 1.0f + 0.01f * z; break;                               // layer-norm-like
      case 3: x[i] = std::max(0.0f, z); break;                              // ReLU: exact zeros
      case 4: x[i] = i % 700 < 350 ? 0.0f : 3.0f * z; break;                // zero stretches
      case 5: x[i] = -3.0f + 1e-4f * z; break;                              // tiny spread
      default: x[i] = static_cast<float>(static_cast<int>(i % 37)); break;  // integers
    }
  }
  return x;
}

// Random bytes whose scale fields are finite f16 values of either sign with exponents in a
// window of four binades (so most blocks are exact and take the fast path), zeros now and then.
std::vector<uint8_t> sane_random_blocks(DType t, uint64_t n_blocks, uint32_t seed) {
  std::mt19937 rng(seed);
  const uint32_t bb = info_of(t).block_bytes;
  std::vector<uint8_t> b(n_blocks * bb);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  const ScaleFields f = scale_fields(t);
  auto scale = [&] {
    if (rng() % 50 == 0) return static_cast<uint16_t>(rng() % 2 ? 0x8000 : 0);
    const uint16_t e = static_cast<uint16_t>(10 + rng() % 4);
    return static_cast<uint16_t>((rng() % 2) << 15 | e << 10 | (rng() & 0x3FF));
  };
  for (uint64_t k = 0; k < n_blocks; ++k) {
    put16(b, k * bb + f.d, scale());
    if (f.m >= 0) put16(b, k * bb + static_cast<uint32_t>(f.m), scale());
  }
  return b;
}

bool have_avx2() {
  if (cpu_has_avx2()) return true;
  WARN("SKIPPED: this CPU has no AVX2/FMA/F16C, so the fused AVX2 kernels cannot run here");
  return false;
}

}  // namespace

TEST_CASE("fused block stats: the table", "[stats]") {
  CHECK(stats_kernels(Isa::Scalar).block_count == 0);
  CHECK(block_stats_kernel(stats_kernels(Isa::Scalar), DType::Q8_0) == nullptr);
  if (!have_avx2()) return;
  const std::vector<DType> types = fused_types();
  for (DType t : {DType::Q8_0, DType::Q4_K}) CHECK(std::count(types.begin(), types.end(), t) == 1);
  for (DType t : types) {
    INFO(info_of(t).name);
    CHECK(can_dequantize(t));  // the reference exists
    CHECK(std::count(types.begin(), types.end(), t) == 1);
  }
  CHECK(block_stats_kernel(stats_kernels(Isa::Avx2), DType::F32) == nullptr);
}

TEST_CASE("fused block stats: encoded values of several shapes", "[stats]") {
  if (!have_avx2()) return;
  for (DType t : fused_types()) {
    for (int shape = 0; shape <= 6; ++shape) {
      // 9 * 256 values: not a whole number of runs or of 8-block groups of the 32-value types.
      for (uint64_t n : {uint64_t{256}, uint64_t{9 * 256}, uint64_t{41 * 256}}) {
        INFO(info_of(t).name << " shape " << shape << " n " << n);
        check_blocks(t, encode(t, shaped_values(shape, n, static_cast<uint32_t>(shape + n))));
      }
    }
    // A constant tensor (one repeated value; all zero).
    for (float c : {0.0f, 0.5f, -7.0f}) {
      INFO(info_of(t).name << " constant " << c);
      check_blocks(t, encode(t, std::vector<float>(2048, c)));
    }
  }
}

TEST_CASE("fused block stats: random quants under sane random scales", "[stats]") {
  if (!have_avx2()) return;
  for (DType t : fused_types()) {
    for (uint64_t n : {1u, 3u, 8u, 9u, 31u, 32u, 33u, 77u, 300u}) {
      INFO(info_of(t).name << " blocks " << n);
      check_blocks(
          t, sane_random_blocks(t, n, static_cast<uint32_t>(n * 13 + info_of(t).block_bytes)));
    }
  }
}

TEST_CASE("fused block stats: adversarial blocks", "[stats]") {
  if (!have_avx2()) return;
  // f16 bit patterns: 0, -0, 1 and -1 (binades away from the data's other scale: inexact
  // affine values), NaN, -NaN, +Inf, -Inf, smallest subnormal, -subnormal, largest finite,
  // -largest, smallest normal, 0.5.
  const uint16_t specials[] = {0x0000, 0x8000, 0x3C00, 0xBC00, 0x7E00, 0xFE01, 0x7C00,
                               0xFC00, 0x0001, 0x8003, 0x7BFF, 0xFBFF, 0x0400, 0x3800};
  for (DType t : fused_types()) {
    const uint32_t bb = info_of(t).block_bytes, be = info_of(t).block_elems;
    const uint64_t n_blocks = be == 32 ? 70 : 9;  // groups / runs plus a tail
    const std::vector<uint8_t> base = encode(t, shaped_values(1, n_blocks * be, 3));
    const ScaleFields f = scale_fields(t);
    // Where a planted block goes: first, inside a group / run, last.
    const uint64_t at_list[] = {0, n_blocks / 2 + 1, n_blocks - 1};
    for (uint64_t at : at_list) {
      for (uint16_t d : specials) {
        for (int field = 0; field < (f.m >= 0 ? 2 : 1); ++field) {
          INFO(info_of(t).name << " block " << at << " field " << field << " bits " << d);
          std::vector<uint8_t> b = base;
          put16(b, at * bb + (field == 0 ? f.d : static_cast<uint32_t>(f.m)), d);
          check_blocks(t, b);
        }
      }
      // Quant bytes all 0x00, all 0xFF, all 0x80, all 0x11 (all-equal and extreme quants),
      // with the block's own scales and with d = 1 (and dmin / m = 1).
      for (uint8_t fill : {uint8_t{0x00}, uint8_t{0xFF}, uint8_t{0x80}, uint8_t{0x11}}) {
        for (bool unit : {false, true}) {
          INFO(info_of(t).name << " block " << at << " fill " << int{fill} << " unit " << unit);
          std::vector<uint8_t> b = base;
          std::memset(b.data() + at * bb, fill, bb);
          auto keep = [&](uint32_t field) {
            const uint8_t* p = base.data() + at * bb + field;
            put16(b, at * bb + field, unit ? 0x3C00 : static_cast<uint16_t>(p[0] | p[1] << 8));
          };
          keep(f.d);
          if (f.m >= 0) keep(static_cast<uint32_t>(f.m));
          check_blocks(t, b);
        }
      }
    }
  }
}

TEST_CASE("fused block stats: values that are exactly zero in affine blocks", "[stats]") {
  if (!have_avx2()) return;
  // y = dl q - ml is zero where dl q == ml: Q4_K with d = dmin = 1, scale 2 and min 6 in every
  // sub-block puts the zero at q = 3; scale 0 and min 0 makes a whole sub-block zero; min 0
  // puts it at q = 0. Q4_1 / Q5_1 with m = -3 d.
  std::mt19937 rng(4);
  for (DType t : {DType::Q4_K, DType::Q5_K}) {
    const uint32_t bb = info_of(t).block_bytes;
    std::vector<uint8_t> b(12 * bb);
    for (auto& x : b) x = static_cast<uint8_t>(rng() & 0x33);  // nibbles 0-3: many q = 3
    for (int k = 0; k < 12; ++k) {
      uint8_t* p = b.data() + k * bb;
      put16(b, k * bb, 0x3C00);
      put16(b, k * bb + 2, 0x3C00);
      int sc[8], mn[8];
      for (int j = 0; j < 8; ++j) {
        sc[j] = k % 3 == 0 && j == 5 ? 0 : 2;
        mn[j] = k % 3 == 0 && j == 5 ? 0 : k % 3 == 1 && j == 2 ? 0 : 6;
      }
      quant::pack_scale_min_k4(sc, mn, p + 4);
    }
    INFO(info_of(t).name);
    check_blocks(t, b);
  }
  for (DType t : {DType::Q4_1, DType::Q5_1}) {
    const uint32_t bb = info_of(t).block_bytes;
    std::vector<uint8_t> b(40 * bb);
    for (auto& x : b) x = static_cast<uint8_t>(rng() & 0x33);
    for (int k = 0; k < 40; ++k) {
      put16(b, k * bb, f32_to_f16(0.25f));
      put16(b, k * bb + 2, f32_to_f16(-0.75f));  // m = -3 d: zero at q = 3
    }
    INFO(info_of(t).name);
    check_blocks(t, b);
  }
}

TEST_CASE("fused block stats: tensor_stats agrees with the decode path, hash included", "[stats]") {
  if (!have_avx2()) return;
  for (DType t : fused_types()) {
    // Several chunks' worth of pieces, so chunk merging and the piece hash chain are covered.
    const uint64_t n =
        (uint64_t{9} << 20) / info_of(t).block_bytes / 8 * 8 * info_of(t).block_elems / 256 * 256;
    const std::vector<uint8_t> b = encode(t, shaped_values(1, n, 21));
    INFO(info_of(t).name);
    const TensorStats a = tensor_stats(Isa::Avx2, t, b.data(), b.size());
    const TensorStats s = tensor_stats(Isa::Scalar, t, b.data(), b.size());
    CHECK(a.decoded);
    CHECK(a.hash == s.hash);
    CHECK(a.values.count == s.values.count);
    CHECK(a.values.zero == s.values.zero);
    CHECK(a.values.nan == s.values.nan);
    CHECK(a.values.min == s.values.min);
    CHECK(a.values.max == s.values.max);
    const double scale =
        std::fabs(s.values.mean) + std::sqrt(s.values.m2 / static_cast<double>(s.values.finite()));
    check_close(a.values, s.values.mean, s.values.m2, scale);
    CHECK(a.scales.blocks == s.scales.blocks);
  }
}
