// Native tests of the K-quant encoders (quant/quantize_k.cpp): reconstruction error on Gaussian
// and heavy-tailed data within llama.cpp's thresholds for sqrt(sum d^2) / n and within bounds on
// the relative RMSE, importance weights lowering the weighted error, determinism, the weight
// argument checks through the C++ API and the C ABI, and special blocks (zeros, constants,
// huge and tiny values). (tests/python/test_quantize_k.py decodes the blocks with gguf-py.)
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
#include "mwt/mwt.h"
#include "quant/dequant_scalar.hpp"
#include "quant/quantize.hpp"

using namespace mwt::detail;

namespace {

struct KType {
  DType type;
  const char* name;
  double llama_bound;  // sqrt(sum d^2) / n, llama.cpp's test-quantize-fns thresholds
  double rel_bound;    // sqrt(mean d^2) / sqrt(mean x^2), generous
};

constexpr KType kTypes[] = {
    {DType::Q4_K, "Q4_K", 0.0075, 0.10}, {DType::Q5_K, "Q5_K", 0.004, 0.055},
    {DType::Q6_K, "Q6_K", 0.004, 0.03},  {DType::Q3_K, "Q3_K", 0.0075, 0.20},
    {DType::Q2_K, "Q2_K", 0.01, 0.32},
};

uint64_t block_bytes(DType t) { return dtype_info(static_cast<uint32_t>(t))->block_bytes; }

std::vector<uint8_t> encode(DType t, const std::vector<float>& x, const float* w = nullptr,
                            uint64_t row_len = 0) {
  std::vector<uint8_t> out(x.size() / 256 * block_bytes(t), 0xEE);
  quantize_scalar(t, x.data(), x.size(), out.data(), out.size(), w, row_len);
  return out;
}

std::vector<float> round_trip(DType t, const std::vector<float>& x, const float* w = nullptr,
                              uint64_t row_len = 0) {
  const std::vector<uint8_t> b = encode(t, x, w, row_len);
  std::vector<float> y(x.size());
  dequantize_scalar(t, b.data(), b.size(), y.data(), y.size());
  return y;
}

enum class Dist { Gaussian, StudentT2, LogNormal };

// n values with typical |x| ~ 1: N(0, 1), Student-t with 2 degrees of freedom, and a signed
// lognormal (exp(N(0, 0.75)) with a random sign).
std::vector<float> sample(Dist dist, uint64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::student_t_distribution<float> student(2.0f);
  std::bernoulli_distribution coin(0.5);
  std::vector<float> x(n);
  for (auto& v : x) {
    switch (dist) {
      case Dist::Gaussian: v = normal(rng); break;
      case Dist::StudentT2: v = student(rng); break;
      case Dist::LogNormal: v = std::exp(0.75f * normal(rng)) * (coin(rng) ? 1.0f : -1.0f); break;
    }
  }
  return x;
}

struct Errors {
  double llama;  // sqrt(sum d^2) / n
  double rel;    // sqrt(mean d^2) / sqrt(mean x^2)
};

Errors errors(const std::vector<float>& x, const std::vector<float>& y) {
  double sd = 0, sx = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double d = static_cast<double>(x[i]) - y[i];
    sd += d * d;
    sx += static_cast<double>(x[i]) * x[i];
  }
  return {std::sqrt(sd) / static_cast<double>(x.size()), std::sqrt(sd / sx)};
}

double weighted_error(const std::vector<float>& x, const std::vector<float>& y,
                      const std::vector<float>& w) {
  double e = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double d = static_cast<double>(x[i]) - y[i];
    e += w[i % w.size()] * d * d;
  }
  return e;
}

Code code_of(DType t, const std::vector<float>& x, const float* w, uint64_t row_len) {
  std::vector<uint8_t> out(x.size() / 256 * block_bytes(t));
  return ::code_of(
      [&] { quantize_scalar(t, x.data(), x.size(), out.data(), out.size(), w, row_len); });
}

}  // namespace

TEST_CASE("K-quants: reconstruction error within llama.cpp's thresholds",
          "[quantize][quantize_k]") {
  constexpr uint64_t n = 1u << 16;
  const Dist dists[] = {Dist::Gaussian, Dist::StudentT2, Dist::LogNormal};
  const char* dist_names[] = {"gaussian", "student-t2", "lognormal"};
  for (int di = 0; di < 3; ++di) {
    const std::vector<float> x = sample(dists[di], n, 1234u + di);
    for (const KType& k : kTypes) {
      const Errors e = errors(x, round_trip(k.type, x));
      INFO(k.name << " " << dist_names[di] << ": sqrt(sum d^2)/n = " << e.llama
                  << ", relative RMSE = " << e.rel);
      CHECK(e.llama <= k.llama_bound);
      CHECK(e.rel <= k.rel_bound);
    }
  }
}

TEST_CASE("K-quants: importance weights lower the weighted error", "[quantize][quantize_k]") {
  // Rows of 512 values; a few columns carry almost all of the weight. Weighted quantization must
  // not do worse on the weighted error than the unweighted one (it does much better here).
  constexpr uint64_t row = 512, rows = 16;
  const std::vector<float> x = sample(Dist::Gaussian, row * rows, 99u);
  std::vector<float> w(row, 0.01f);
  std::mt19937 rng(7);
  for (int k = 0; k < 24; ++k) w[rng() % row] = 100.0f;
  for (const KType& k : kTypes) {
    const double plain = weighted_error(x, round_trip(k.type, x), w);
    const double weighted = weighted_error(x, round_trip(k.type, x, w.data(), row), w);
    INFO(k.name << ": weighted error " << weighted << " vs unweighted quantization " << plain);
    CHECK(weighted <= plain);
    CHECK(weighted < 0.8 * plain);
  }
}

TEST_CASE("K-quants: all-ones weights give the unweighted bytes; output is deterministic",
          "[quantize][quantize_k]") {
  const std::vector<float> x = sample(Dist::StudentT2, 1024, 5u);
  const std::vector<float> ones(256, 1.0f);
  for (const KType& k : kTypes) {
    INFO(k.name);
    const std::vector<uint8_t> a = encode(k.type, x);
    CHECK(a == encode(k.type, x));
    CHECK(a == encode(k.type, x, ones.data(), 256));
  }
}

TEST_CASE("K-quants: zero, constant, tiny, huge and one-hot blocks", "[quantize][quantize_k]") {
  const float big = std::numeric_limits<float>::max();
  for (const KType& k : kTypes) {
    INFO(k.name);
    // Zeros decode to zeros.
    const std::vector<float> zeros(256, 0.0f);
    for (float v : round_trip(k.type, zeros)) CHECK(v == 0.0f);
    // A constant block is reproduced up to the f16 scale rounding.
    const std::vector<float> c(256, -1.5f);
    for (float v : round_trip(k.type, c)) CHECK(std::fabs(v + 1.5f) <= 0.01f);
    // Values far below the f16 range decode to (near) zero; values far above it stay finite.
    std::vector<float> tiny = sample(Dist::Gaussian, 256, 3u);
    for (auto& v : tiny) v *= 1e-30f;
    for (float v : round_trip(k.type, tiny)) CHECK(std::fabs(v) <= 1e-6f);
    std::vector<float> huge = sample(Dist::Gaussian, 256, 4u);
    huge[17] = big;
    huge[200] = -big;
    for (float v : round_trip(k.type, huge)) CHECK(std::isfinite(v));
    // One large value among zeros keeps its sign and most of its size.
    std::vector<float> one(256, 0.0f);
    one[100] = -3.0f;
    const std::vector<float> y = round_trip(k.type, one);
    CHECK(y[100] < -2.0f);
  }
}

TEST_CASE("K-quants: importance-weight argument checks", "[quantize][quantize_k]") {
  const std::vector<float> x = sample(Dist::Gaussian, 512, 11u);
  std::vector<float> w(256, 1.0f);
  CHECK(code_of(DType::Q4_K, x, w.data(), 256) == Code::OK);
  const std::vector<float> w512(512, 0.5f);
  CHECK(code_of(DType::Q4_K, x, w512.data(), 512) == Code::OK);
  CHECK(code_of(DType::Q4_K, x, w.data(), 0) == Code::ARGUMENT);
  CHECK(code_of(DType::Q4_K, x, w.data(), 128) == Code::ARGUMENT);  // not whole blocks
  CHECK(code_of(DType::Q4_K, std::vector<float>(768, 1.0f), w.data(), 512) == Code::ARGUMENT);
  w[3] = -1.0f;
  CHECK(code_of(DType::Q6_K, x, w.data(), 256) == Code::ARGUMENT);
  w[3] = std::numeric_limits<float>::quiet_NaN();
  CHECK(code_of(DType::Q2_K, x, w.data(), 256) == Code::ARGUMENT);
  w[3] = std::numeric_limits<float>::infinity();
  CHECK(code_of(DType::Q3_K, x, w.data(), 256) == Code::ARGUMENT);
  w[3] = 0.0f;  // zero weights are fine, also a whole block of them
  std::vector<float> zero_w(256, 0.0f);
  CHECK(code_of(DType::Q5_K, x, zero_w.data(), 256) == Code::OK);
  // Weights with a type that does not take them.
  std::vector<float> y32(256, 1.0f);
  std::vector<uint8_t> out(256 / 32 * 34);
  CHECK_THROWS_AS(
      quantize_scalar(DType::Q8_0, y32.data(), 256, out.data(), out.size(), w.data(), 256), Error);
  // Non-finite inputs are still ARGUMENT, shape errors still BAD_SHAPE.
  std::vector<float> bad = x;
  bad[300] = std::numeric_limits<float>::infinity();
  CHECK(code_of(DType::Q4_K, bad, nullptr, 0) == Code::ARGUMENT);
  std::vector<uint8_t> small(144);
  CHECK_THROWS_AS(quantize_scalar(DType::Q4_K, x.data(), 100, small.data(), small.size()), Error);
}

TEST_CASE("K-quants through the C ABI: mwt_quantize and mwt_quantize_weighted",
          "[quantize][quantize_k]") {
  const std::vector<float> x = sample(Dist::Gaussian, 512, 21u);
  std::vector<float> w(256, 2.0f);
  for (const KType& k : kTypes) {
    INFO(k.name);
    const auto dt = static_cast<mwt_dtype>(k.type);
    CHECK(mwt_can_quantize(dt) == 1);
    std::vector<uint8_t> a(2 * block_bytes(k.type)), b(a.size());
    CHECK(mwt_quantize(dt, x.data(), x.size(), a.data(), a.size()) == nullptr);
    CHECK(mwt_quantize_weighted(dt, x.data(), x.size(), b.data(), b.size(), nullptr, 0) == nullptr);
    CHECK(a == b);
    // Uniform weights of any positive size give the same bytes.
    CHECK(mwt_quantize_weighted(dt, x.data(), x.size(), b.data(), b.size(), w.data(), 256) ==
          nullptr);
    CHECK(a == b);
  }
  std::vector<uint8_t> out(2 * 144);
  mwt_status* st = mwt_quantize_weighted(static_cast<mwt_dtype>(DType::Q4_K), x.data(), x.size(),
                                         out.data(), out.size(), nullptr, 256);
  REQUIRE(st != nullptr);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  mwt_status_free(st);
  w[0] = -1.0f;
  st = mwt_quantize_weighted(static_cast<mwt_dtype>(DType::Q4_K), x.data(), x.size(), out.data(),
                             out.size(), w.data(), 256);
  REQUIRE(st != nullptr);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  CHECK(std::string(mwt_status_message(st)).find("weight 0") != std::string::npos);
  mwt_status_free(st);
  std::vector<uint8_t> out8(512 / 32 * 34);
  st = mwt_quantize_weighted(static_cast<mwt_dtype>(DType::Q8_0), x.data(), x.size(), out8.data(),
                             out8.size(), w.data(), 256);
  REQUIRE(st != nullptr);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  mwt_status_free(st);
}
