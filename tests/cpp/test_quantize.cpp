// Native tests of quant/quantize.hpp: a Q8_0 block computed by hand, quantize -> dequantize
// round trips within the error bounds of each type's rounding rule, and the error codes through
// the C++ API and the C ABI. (tests/python/test_quantize.py compares the bytes with gguf-py.)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/float_convert.hpp"
#include "mwt/mwt.h"
#include "quant/dequant_scalar.hpp"
#include "quant/quantize.hpp"

using namespace mwt::detail;

namespace {

constexpr DType kTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1};

uint64_t block_bytes(DType t) { return dtype_info(static_cast<uint32_t>(t))->block_bytes; }

std::vector<uint8_t> encode(DType t, const std::vector<float>& x) {
  std::vector<uint8_t> out(x.size() / 32 * block_bytes(t), 0xEE);
  quantize_scalar(t, x.data(), x.size(), out.data(), out.size());
  return out;
}

std::vector<float> decode(DType t, const std::vector<uint8_t>& b, uint64_t n) {
  std::vector<float> y(n);
  dequantize_scalar(t, b.data(), b.size(), y.data(), n);
  return y;
}

struct Failure {
  Code code = Code::OK;
  std::string message;
};

Failure failure_of(DType t, const float* x, uint64_t n, uint8_t* dst, uint64_t dst_bytes) {
  try {
    quantize_scalar(t, x, n, dst, dst_bytes);
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {};
}

float half_round(float v) { return f16_to_f32(f32_to_f16(v)); }

}  // namespace

TEST_CASE("Q8_0 block by hand: d = amax / 127, q rounds half away from zero", "[quantize]") {
  // amax 127 gives d = 1 exactly (f16 0x3C00); x * id = x, so q = round-half-away(x).
  std::vector<float> x(32, 0.0f);
  const float vals[] = {127.0f, -127.0f, 0.5f, -0.5f, 1.5f, -2.5f, 126.4f, -3.49f, 0.49f, 7.0f};
  const int8_t want[] = {127, -127, 1, -1, 2, -3, 126, -3, 0, 7};
  for (int j = 0; j < 10; ++j) x[j] = vals[j];
  const auto b = encode(DType::Q8_0, x);
  REQUIRE(b.size() == 34);
  CHECK(b[0] == 0x00);
  CHECK(b[1] == 0x3C);
  for (int j = 0; j < 10; ++j) {
    INFO("value " << j);
    CHECK(static_cast<int8_t>(b[2 + j]) == want[j]);
  }
  for (int j = 10; j < 32; ++j) CHECK(b[2 + j] == 0);
  // An all-zero block: d = 0, every q = 0.
  const auto z = encode(DType::Q8_0, std::vector<float>(32, 0.0f));
  for (uint8_t v : z) CHECK(v == 0);
}

TEST_CASE("Q4_0 / Q5_0: d follows the signed value of largest magnitude", "[quantize]") {
  std::vector<float> x(32, 0.0f);
  x[3] = 4.0f;  // first of the two largest magnitudes: d = 4 / -8 = -0.5
  x[9] = -4.0f;
  x[10] = 1.0f;
  const auto b = encode(DType::Q4_0, x);
  CHECK((b[0] | (b[1] << 8)) == 0xB800);  // -0.5
  // q = min(15, trunc(x / d + 8.5)): x[3] -> 0, x[9] -> 16 -> 15, x[10] -> 6, zeros -> 8.
  CHECK((b[2 + 3] & 0x0F) == 0);
  CHECK((b[2 + 9] & 0x0F) == 15);
  CHECK((b[2 + 10] & 0x0F) == 6);
  CHECK((b[2 + 0] & 0x0F) == 8);
  CHECK((b[2 + 0] >> 4) == 8);
  const auto b5 = encode(DType::Q5_0, x);
  CHECK((b5[0] | (b5[1] << 8)) == 0xB400);  // 4 / -16 = -0.25
}

TEST_CASE("quantize -> dequantize stays within each type's rounding error", "[quantize]") {
  std::mt19937_64 rng(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::student_t_distribution<float> heavy(2.0f);
  const uint64_t n_blocks = 2000, n = n_blocks * 32;
  std::vector<float> x(n);
  for (uint64_t i = 0; i < n; ++i) {
    const float scale = std::ldexp(1.0f, static_cast<int>((i / 32) % 24) - 12);
    x[i] = ((i / 32) % 2 == 0 ? normal(rng) : heavy(rng)) * scale;
  }
  const float eps = 1e-5f;
  for (DType t : kTypes) {
    const std::string name(dtype_info(static_cast<uint32_t>(t))->name);
    INFO(name);
    const auto y = decode(t, encode(t, x), n);
    uint64_t bad = 0;
    for (uint64_t blk = 0; blk < n_blocks; ++blk) {
      const float* xb = x.data() + blk * 32;
      const float* yb = y.data() + blk * 32;
      float amax = 0.0f, signed_max = 0.0f, lo = xb[0], hi = xb[0];
      for (int j = 0; j < 32; ++j) {
        if (std::fabs(xb[j]) > amax) amax = std::fabs(xb[j]), signed_max = xb[j];
        lo = std::min(lo, xb[j]);
        hi = std::max(hi, xb[j]);
      }
      float d = 0.0f, qmax_abs = 0.0f, clip_at = std::numeric_limits<float>::infinity();
      if (t == DType::Q8_0) d = amax / 127.0f, qmax_abs = 127.0f;
      if (t == DType::Q4_0) d = std::fabs(signed_max / -8.0f), qmax_abs = 8.0f, clip_at = 7.5f;
      if (t == DType::Q5_0) d = std::fabs(signed_max / -16.0f), qmax_abs = 16.0f, clip_at = 15.5f;
      if (t == DType::Q4_1) d = (hi - lo) / 15.0f, qmax_abs = 15.0f;
      if (t == DType::Q5_1) d = (hi - lo) / 31.0f, qmax_abs = 31.0f;
      // Half a step, plus what storing d (and the minimum m) as f16 moves the values by.
      float slack = std::fabs(d - half_round(d)) * qmax_abs + eps * (std::fabs(lo) + std::fabs(hi));
      if (t == DType::Q4_1 || t == DType::Q5_1) slack += std::fabs(lo - half_round(lo));
      for (int j = 0; j < 32; ++j) {
        // Q4_0 / Q5_0 clip the value of opposite sign to the anchor at qmax: up to a full step.
        const float steps = std::fabs(xb[j]) > clip_at * d ? 1.0f : 0.5f;
        const float bound = steps * d * (1.0f + eps) + slack;
        if (!(std::fabs(xb[j] - yb[j]) <= bound)) ++bad;
      }
    }
    CHECK(bad == 0);
  }
}

TEST_CASE("a power-of-two scale: |x - deq| <= d / 2 exactly for the symmetric types",
          "[quantize]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (DType t : {DType::Q8_0, DType::Q4_0, DType::Q5_0}) {
    const float span = t == DType::Q8_0 ? 127.0f : (t == DType::Q4_0 ? -8.0f : -16.0f);
    const float d = 0.125f;  // anchor span * d makes the f32 and f16 scales exact
    std::vector<float> x(32 * 500);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = (i % 32 == 0) ? -std::fabs(span) * d : u(rng) * (std::fabs(span) - 1.0f) * d;
    const auto y = decode(t, encode(t, x), x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      INFO("value " << i);
      REQUIRE(std::fabs(x[i] - y[i]) <= d / 2.0f);
    }
  }
}

TEST_CASE("quantize_scalar: error codes", "[quantize]") {
  std::vector<float> x(64, 1.0f);
  std::vector<uint8_t> out(2 * 34);
  CHECK(failure_of(DType::Q8_0, x.data(), 64, out.data(), 68).code == Code::OK);
  CHECK(failure_of(DType::Q8_0, x.data(), 33, out.data(), 68).code == Code::BAD_SHAPE);
  CHECK(failure_of(DType::Q8_0, x.data(), 64, out.data(), 67).code == Code::SIZE_MISMATCH);
  CHECK(failure_of(DType::Q8_0, x.data(), 64, out.data(), 102).code == Code::SIZE_MISMATCH);
  CHECK(failure_of(DType::Q8_0, x.data(), 0, out.data(), 0).code == Code::OK);
  const Failure k = failure_of(DType::IQ4_NL, x.data(), 64, out.data(), 36);
  CHECK(k.code == Code::UNSUPPORTED_FEATURE);
  CHECK(k.message.find("mwt has no quantizer for IQ4_NL") != std::string::npos);
  CHECK(failure_of(static_cast<DType>(4), x.data(), 32, out.data(), 20).code == Code::BAD_DTYPE);
  CHECK(failure_of(static_cast<DType>(9999), x.data(), 32, out.data(), 20).code == Code::BAD_DTYPE);
  // Non-finite inputs to a block type: ARGUMENT naming the first one; dst untouched.
  for (DType t : kTypes) {
    for (float bad :
         {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
          -std::numeric_limits<float>::infinity()}) {
      std::vector<float> y(64, 0.5f);
      y[40] = bad;
      y[50] = std::numeric_limits<float>::quiet_NaN();
      std::vector<uint8_t> dst(2 * block_bytes(t), 0xAB);
      const Failure f = failure_of(t, y.data(), 64, dst.data(), dst.size());
      CHECK(f.code == Code::ARGUMENT);
      CHECK(f.message.find("value 40 is") != std::string::npos);
      for (uint8_t v : dst) CHECK(v == 0xAB);
    }
  }
  // Float targets accept them.
  std::vector<float> nf = {std::numeric_limits<float>::quiet_NaN(),
                           std::numeric_limits<float>::infinity(), 1.0f, 70000.0f};
  std::vector<uint8_t> h(8);
  CHECK(failure_of(DType::F16, nf.data(), 4, h.data(), 8).code == Code::OK);
  CHECK((h[2] | (h[3] << 8)) == 0x7C00);
  CHECK((h[6] | (h[7] << 8)) == 0x7C00);
  CHECK(failure_of(DType::F16, nf.data(), 4, h.data(), 7).code == Code::SIZE_MISMATCH);
}

TEST_CASE("can_quantize and the float targets", "[quantize]") {
  for (DType t : kTypes) CHECK(can_quantize(t));
  for (DType t : {DType::F32, DType::F16, DType::BF16}) CHECK(can_quantize(t));
  for (DType t : {DType::IQ2_XXS, DType::IQ3_S, DType::IQ4_NL, DType::Q8_1, DType::F64, DType::I8})
    CHECK_FALSE(can_quantize(t));
  // Every id either quantizes or is refused with BAD_DTYPE / UNSUPPORTED_FEATURE.
  for (uint32_t id = 0; id < 64; ++id) {
    const DTypeInfo* info = dtype_info(id);
    std::vector<float> x(256, 0.25f);
    std::vector<uint8_t> dst(4096);
    const uint64_t nbytes = info ? 256 / info->block_elems * info->block_bytes : 0;
    const Code c = failure_of(static_cast<DType>(id), x.data(), 256, dst.data(), nbytes).code;
    INFO("id " << id);
    if (info == nullptr)
      CHECK(c == Code::BAD_DTYPE);
    else if (can_quantize(static_cast<DType>(id)))
      CHECK(c == Code::OK);
    else
      CHECK(c == Code::UNSUPPORTED_FEATURE);
  }
  const std::vector<float> x = {1.0f, -2.5f, 0.1f, 65504.0f};
  std::vector<uint8_t> bf(8), f32(16);
  quantize_scalar(DType::BF16, x.data(), 4, bf.data(), 8);
  quantize_scalar(DType::F32, x.data(), 4, f32.data(), 16);
  for (int i = 0; i < 4; ++i) CHECK((bf[2 * i] | (bf[2 * i + 1] << 8)) == f32_to_bf16(x[i]));
  CHECK(std::memcmp(f32.data(), x.data(), 16) == 0);
}

TEST_CASE("mwt_quantize C ABI: arguments and results", "[quantize][capi]") {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;
  x[1] = -63.5f;
  uint8_t b[34];
  mwt_status* st = mwt_quantize(MWT_DTYPE_Q8_0, x.data(), 32, b, sizeof b);
  REQUIRE(st == nullptr);
  CHECK(static_cast<int8_t>(b[2]) == 127);
  CHECK(static_cast<int8_t>(b[3]) == -64);
  st = mwt_quantize(MWT_DTYPE_Q8_0, nullptr, 32, b, sizeof b);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  mwt_status_free(st);
  st = mwt_quantize(MWT_DTYPE_Q8_0, x.data(), 32, nullptr, sizeof b);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  mwt_status_free(st);
  st = mwt_quantize(MWT_DTYPE_Q8_0, nullptr, 0, nullptr, 0);
  CHECK(st == nullptr);
  st = mwt_quantize(MWT_DTYPE_Q8_0, x.data(), 32, b, 33);
  CHECK(mwt_status_code(st) == MWT_E_SIZE_MISMATCH);
  mwt_status_free(st);
  st = mwt_quantize(MWT_DTYPE_Q4_0, x.data(), 31, b, 18);
  CHECK(mwt_status_code(st) == MWT_E_BAD_SHAPE);
  mwt_status_free(st);
  st = mwt_quantize(MWT_DTYPE_IQ4_NL, x.data(), 32, b, 18);
  CHECK(mwt_status_code(st) == MWT_E_UNSUPPORTED_FEATURE);
  CHECK(std::string(mwt_status_message(st)).find("IQ4_NL") != std::string::npos);
  mwt_status_free(st);
  st = mwt_quantize(static_cast<mwt_dtype>(5), x.data(), 32, b, 34);
  CHECK(mwt_status_code(st) == MWT_E_BAD_DTYPE);
  mwt_status_free(st);
  CHECK(mwt_can_quantize(MWT_DTYPE_Q5_1) == 1);
  CHECK(mwt_can_quantize(MWT_DTYPE_F16) == 1);
  CHECK(mwt_can_quantize(MWT_DTYPE_Q6_K) == 1);
  CHECK(mwt_can_quantize(MWT_DTYPE_IQ2_XXS) == 0);
  CHECK(mwt_can_quantize(static_cast<mwt_dtype>(4)) == 0);
}
