// Tests of the dispatching encoder (quant/quantize.cpp: quantize, quantize_split) and of the
// AVX2 encoder kernels (quant/x86_avx2/quantize_avx2.cpp, quantize_k_avx2.cpp): each kernel's
// bytes against the scalar reference encoder of the type-traits row, on random blocks of many
// magnitudes and on edge blocks (all zeros, mixed signed zeros, +-FLT_MAX, one large value,
// subnormals, values whose 1 / d overflows, ties of magnitude, exact rounding halves); for the
// K-quants also edge super-blocks (constant, tiny, huge, one-signed, integer grids, zero
// sub-blocks) with and without importance weights (zeros, all-zero sub-blocks, subnormal, huge)
// at several row lengths and block counts; NaN / Inf rejected alike; and the threaded encode
// (every type, with and without importance weights) equal to one thread's bytes. Without AVX2 on
// the test machine the kernel comparisons are skipped with a visible warning; the thread tests then
// run the scalar encoders.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "code_of.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/isa.hpp"
#include "quant/quantize.hpp"
#include "quant/type_traits.hpp"

using namespace mwt::detail;

namespace {

const DType kLegacy[] = {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0};
const DType kWeighted[] = {DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K};
// The types with an AVX2 encoder: the legacy types and the K-quants.
const DType kAvx2Encoded[] = {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0,
                              DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K};

uint64_t bytes_for(DType t, uint64_t n) {
  const DTypeInfo& info = *dtype_info(static_cast<uint32_t>(t));
  return n / info.block_elems * info.block_bytes;
}

std::vector<uint8_t> encode_scalar(DType t, const std::vector<float>& x) {
  std::vector<uint8_t> out(bytes_for(t, x.size()));
  quantize_scalar(t, x.data(), x.size(), out.data(), out.size());
  return out;
}

std::vector<uint8_t> encode_split(Isa isa, DType t, const std::vector<float>& x, unsigned parts,
                                  const float* w = nullptr, uint64_t row_len = 0) {
  std::vector<uint8_t> out(bytes_for(t, x.size()), 0xA5);
  quantize_split(isa, t, x.data(), x.size(), out.data(), out.size(), w, row_len, parts);
  return out;
}

// Random blocks of 32: normal values times a per-block magnitude from 1e-42 (subnormal) to
// 1e37, so d spans f16 underflow, normal and overflow.
std::vector<float> random_blocks(uint64_t n_blocks, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> expo(-140, 123);
  std::vector<float> x(n_blocks * 32);
  for (uint64_t b = 0; b < n_blocks; ++b) {
    const float scale = b % 3 == 0 ? 1.0f : std::ldexp(1.0f, expo(rng));
    for (int j = 0; j < 32; ++j) x[b * 32 + j] = normal(rng) * scale;
  }
  return x;
}

// Hand-made edge blocks of 32 values each.
std::vector<float> edge_blocks() {
  std::vector<std::vector<float>> blocks;
  const float fmax = std::numeric_limits<float>::max();
  const float den = std::numeric_limits<float>::denorm_min();
  blocks.push_back(std::vector<float>(32, 0.0f));
  blocks.push_back(std::vector<float>(32, -0.0f));
  std::vector<float> z(32, 0.0f);
  z[5] = -0.0f;
  blocks.push_back(z);  // +0 and -0: the min / max zero sign rule
  std::vector<float> zp(32, 1.0f);
  zp[3] = 0.0f;
  zp[9] = -0.0f;
  blocks.push_back(zp);  // minimum zero with both signs
  std::vector<float> zn(32, -1.0f);
  zn[7] = -0.0f;
  blocks.push_back(zn);  // maximum -0 only
  zn[8] = 0.0f;
  blocks.push_back(zn);  // maximum zero with both signs
  blocks.push_back(std::vector<float>(32, fmax));
  blocks.push_back(std::vector<float>(32, -fmax));
  std::vector<float> pm(32);
  for (int j = 0; j < 32; ++j) pm[j] = j % 2 ? fmax : -fmax;
  blocks.push_back(pm);  // max - min overflows
  std::vector<float> one(32, 0.001f);
  one[17] = 1000.0f;
  blocks.push_back(one);  // one large value
  std::vector<float> oneneg(32, 0.25f);
  oneneg[0] = -3e5f;
  blocks.push_back(oneneg);
  std::vector<float> sub(32);
  for (int j = 0; j < 32; ++j) sub[j] = den * static_cast<float>(j - 16);
  blocks.push_back(sub);  // subnormals: 1 / d overflows to Inf
  std::vector<float> sub2(32);
  for (int j = 0; j < 32; ++j) sub2[j] = (j % 2 ? 1 : -1) * FLT_MIN * 0.5f * static_cast<float>(j);
  blocks.push_back(sub2);
  std::vector<float> tie(32, 0.5f);
  tie[4] = -2.0f;
  tie[20] = 2.0f;
  blocks.push_back(tie);  // equal magnitudes: the first one sets d
  tie[4] = 2.0f;
  tie[20] = -2.0f;
  blocks.push_back(tie);
  std::vector<float> halves(32);
  for (int j = 0; j < 32; ++j) halves[j] = static_cast<float>(j) - 15.5f;
  blocks.push_back(halves);  // many x * id land near .5
  std::vector<float> q8(32);
  for (int j = 0; j < 32; ++j) q8[j] = 127.0f * static_cast<float>(j - 16) / 16.0f + 0.5f;
  q8[0] = 127.0f;
  blocks.push_back(q8);  // id = 1: exact halves for Q8_0's round-half-away
  std::vector<float> out;
  for (const auto& b : blocks) out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Edge super-blocks of 256 values for the K-quant searches.
std::vector<float> k_edge_blocks() {
  const float fmax = std::numeric_limits<float>::max();
  const float den = std::numeric_limits<float>::denorm_min();
  std::vector<float> out;
  auto add = [&](auto value_of) {
    for (int i = 0; i < 256; ++i) out.push_back(value_of(i));
  };
  add([](int) { return 0.0f; });
  add([](int i) { return i % 3 ? 0.0f : -0.0f; });
  add([](int) { return 0.75f; });   // constant: every sub-block degenerate
  add([](int) { return -3e-3f; });  // constant, negative
  add([&](int i) { return den * static_cast<float>(i % 7); });            // subnormal, >= 0
  add([&](int i) { return den * static_cast<float>(i % 9 - 4); });        // subnormal, mixed
  add([&](int i) { return i % 2 ? fmax : -fmax; });                       // huge, mixed sign
  add([&](int i) { return fmax / 4.0f * static_cast<float>(i % 5); });    // huge, >= 0
  add([](int i) { return static_cast<float>(i % 8 - 4); });               // on Q3_K's grid
  add([](int i) { return static_cast<float>(i % 16) * 0.5f; });           // on Q4_K's, halves
  add([](int i) { return static_cast<float>(i % 64 - 32) + 0.5f; });      // Q6_K ties
  add([](int i) { return i % 32 < 16 ? 0.0f : static_cast<float>(i); });  // zero sub-blocks
  add([](int i) { return i == 77 ? 1e6f : 1e-3f * static_cast<float>(i % 3); });  // one outlier
  add([](int i) { return i == 5 ? -2e4f : 0.01f; });
  add([](int i) { return std::ldexp(1.0f, i % 60 - 30) * (i % 2 ? 1.0f : -1.0f); });  // range
  add([](int i) { return -std::fabs(std::sin(static_cast<float>(i))); });  // all negative
  add([](int i) { return 1.0f + std::ldexp(1.0f, -20) * static_cast<float>(i % 4); });
  return out;
}

// Importance weights for rows of row_len values: kind 0 normal magnitudes with zeros, 1 whole
// zero sub-blocks (of 16 and 32), 2 subnormal and huge weights mixed, 3 a single non-zero weight.
std::vector<float> k_weights(uint64_t row_len, int kind, uint32_t seed) {
  std::mt19937 rng(seed);
  std::exponential_distribution<float> expo(1.0f);
  std::vector<float> w(row_len);
  for (uint64_t i = 0; i < row_len; ++i) {
    float v = expo(rng);
    if (kind == 0 && i % 5 == 0) v = 0.0f;
    if (kind == 1 && (i / 16) % 3 == 1) v = 0.0f;
    if (kind == 1 && (i / 32) % 4 == 3) v = 0.0f;
    if (kind == 2) v = i % 3 == 0 ? 1e-42f : i % 3 == 1 ? 3e30f * v : v;
    if (kind == 3) v = i == row_len / 2 ? 2.0f : 0.0f;
    w[i] = v;
  }
  return w;
}

bool skip_without_avx2() {
  if (cpu_has_avx2()) return false;
  WARN("SKIPPED: this CPU has no AVX2/FMA/F16C, so the AVX2 encoders cannot be compared here");
  return true;
}

}  // namespace

TEST_CASE("the legacy types and K-quants have AVX2 encoders in the type-traits table",
          "[quantize][simd]") {
#if defined(MWT_KERNELS_X86_AVX2)
  for (DType t : kAvx2Encoded) {
    INFO(dtype_info(static_cast<uint32_t>(t))->name);
    CHECK(quant::type_traits(t)->avx2_encode != nullptr);
  }
#else
  WARN("SKIPPED: this build has no x86 AVX2 kernels");
#endif
}

TEST_CASE("AVX2 legacy encoders are byte-identical to the scalar reference", "[quantize][simd]") {
  if (skip_without_avx2()) return;
  std::vector<float> x = random_blocks(4096, 11);
  const std::vector<float> edges = edge_blocks();
  x.insert(x.end(), edges.begin(), edges.end());
  for (DType t : kLegacy) {
    INFO(dtype_info(static_cast<uint32_t>(t))->name);
    const std::vector<uint8_t> want = encode_scalar(t, x);
    CHECK(encode_split(Isa::Avx2, t, x, 1) == want);
    // Block by block too, so a mismatch names the block.
    const uint64_t bb = bytes_for(t, 32);
    const std::vector<uint8_t> got = encode_split(Isa::Avx2, t, x, 1);
    for (uint64_t b = 0; b < x.size() / 32; ++b) {
      INFO("block " << b << " first value " << x[b * 32]);
      REQUIRE(std::equal(got.begin() + b * bb, got.begin() + (b + 1) * bb, want.begin() + b * bb));
    }
  }
}

TEST_CASE("AVX2 K-quant encoders are byte-identical to the scalar reference", "[quantize][simd]") {
  if (skip_without_avx2()) return;
  // Random blocks of 32 (magnitudes from subnormal to 1e37, so super-blocks mix them), the
  // legacy edge blocks (padded to whole super-blocks) and the K-quant edge super-blocks; then
  // a normal(0, 0.02) weight matrix, as models hold.
  std::vector<float> x = random_blocks(2048, 23);
  std::vector<float> edges = edge_blocks();
  edges.resize((edges.size() + 255) / 256 * 256, 0.125f);
  x.insert(x.end(), edges.begin(), edges.end());
  const std::vector<float> kedges = k_edge_blocks();
  x.insert(x.end(), kedges.begin(), kedges.end());
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (int i = 0; i < 256 * 64; ++i) x.push_back(normal(rng));
  x.resize(x.size() / 3072 * 3072);  // whole rows of 256, 512, 768 and 1024 values
  for (DType t : kWeighted) {
    INFO(dtype_info(static_cast<uint32_t>(t))->name);
    const uint64_t bb = bytes_for(t, 256);
    auto same_blocks = [&](const std::vector<uint8_t>& got, const std::vector<uint8_t>& want) {
      REQUIRE(got.size() == want.size());
      for (uint64_t b = 0; b < got.size() / bb; ++b) {
        INFO("super-block " << b << " first value " << x[b * 256]);
        REQUIRE(
            std::equal(got.begin() + b * bb, got.begin() + (b + 1) * bb, want.begin() + b * bb));
      }
    };
    same_blocks(encode_split(Isa::Avx2, t, x, 1), encode_scalar(t, x));
    for (uint64_t row_len : {256u, 512u, 768u, 1024u})
      for (int kind = 0; kind < 4; ++kind) {
        INFO("weights kind " << kind << " row length " << row_len);
        const std::vector<float> w = k_weights(row_len, kind, 31 + kind);
        std::vector<uint8_t> want(bytes_for(t, x.size()));
        quantize_scalar(t, x.data(), x.size(), want.data(), want.size(), w.data(), row_len);
        same_blocks(encode_split(Isa::Avx2, t, x, 1, w.data(), row_len), want);
      }
    // Small inputs of 1 to 5 super-blocks, one and several threads.
    for (uint64_t nb = 1; nb <= 5; ++nb) {
      const std::vector<float> part(x.end() - static_cast<std::ptrdiff_t>(nb * 256), x.end());
      const std::vector<uint8_t> want = encode_scalar(t, part);
      CHECK(encode_split(Isa::Avx2, t, part, 1) == want);
      CHECK(encode_split(Isa::Avx2, t, part, 3) == want);
    }
  }
}

TEST_CASE("AVX2 and scalar encoders reject NaN and Inf alike", "[quantize][simd]") {
  if (skip_without_avx2()) return;
  for (DType t : kAvx2Encoded)
    for (float bad :
         {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
          -std::numeric_limits<float>::infinity()}) {
      std::vector<float> x = random_blocks(64, 3);
      x[1000] = bad;
      x[1500] = bad;
      std::vector<uint8_t> a(bytes_for(t, x.size()), 7), s(a);
      std::string ma, ms;
      try {
        quantize_split(Isa::Avx2, t, x.data(), x.size(), a.data(), a.size(), nullptr, 0, 4);
      } catch (const Error& e) {
        CHECK(e.code() == Code::ARGUMENT);
        ma = e.what();
      }
      try {
        quantize_scalar(t, x.data(), x.size(), s.data(), s.size());
      } catch (const Error& e) {
        ms = e.what();
      }
      CHECK(!ma.empty());
      CHECK(ma == ms);  // the same first index is named
      CHECK(ma.find("value 1000") != std::string::npos);
      CHECK(a == std::vector<uint8_t>(a.size(), 7));  // nothing written
    }
}

TEST_CASE("threaded quantize equals one thread for every encodable block type",
          "[quantize][threads]") {
  const Isa isa = active();
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  const uint64_t row_len = 512, rows = 7;
  std::vector<float> x(row_len * rows);
  for (float& v : x) v = normal(rng);
  std::vector<float> w(row_len);
  for (float& v : w) v = std::fabs(normal(rng)) * 50.0f;
  for (DType t :
       {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q2_K, DType::Q3_K,
        DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::TQ1_0, DType::TQ2_0, DType::MXFP4}) {
    INFO(dtype_info(static_cast<uint32_t>(t))->name);
    const std::vector<uint8_t> one = encode_scalar(t, x);
    for (unsigned parts : {1u, 2u, 3u, 7u, 16u}) {
      INFO("parts " << parts);
      CHECK(encode_split(isa, t, x, parts) == one);
    }
    std::vector<uint8_t> planned(one.size());
    quantize(t, x.data(), x.size(), planned.data(), planned.size());
    CHECK(planned == one);
  }
  for (DType t : kWeighted) {
    INFO(dtype_info(static_cast<uint32_t>(t))->name);
    std::vector<uint8_t> one(bytes_for(t, x.size()));
    quantize_scalar(t, x.data(), x.size(), one.data(), one.size(), w.data(), row_len);
    for (unsigned parts : {2u, 3u, 7u, 9u}) {
      INFO("parts " << parts << " with weights");
      CHECK(encode_split(isa, t, x, parts, w.data(), row_len) == one);
    }
  }
}

TEST_CASE("quantize_split checks its arguments as quantize_scalar does", "[quantize][threads]") {
  std::vector<float> x(64, 1.0f);
  std::vector<uint8_t> out(bytes_for(DType::Q8_0, 64));
  CHECK(code_of([&] {
          quantize_split(Isa::Scalar, DType::Q8_0, x.data(), 64, out.data(), out.size() + 1,
                         nullptr, 0, 2);
        }) == Code::SIZE_MISMATCH);
  CHECK(code_of([&] {
          quantize_split(Isa::Scalar, DType::Q8_0, x.data(), 64, out.data(), out.size(), x.data(),
                         32, 2);
        }) == Code::ARGUMENT);
  if (!cpu_has_avx2())
    CHECK(code_of([&] {
            quantize_split(Isa::Avx2, DType::Q8_0, x.data(), 64, out.data(), out.size(), nullptr, 0,
                           1);
          }) == Code::UNSUPPORTED_FEATURE);
}
