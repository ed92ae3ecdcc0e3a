// Native tests of quant/dequant_scalar.hpp: single blocks built by hand from the documented layouts
// (docs/quant-blocks.md) and checked against the documented formulas, the argument
// errors, and that every dtype id either dequantizes or is refused with the right code, through
// the C++ API and the C ABI. (tests/python/test_dequant.py compares every type with gguf-py.)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "code_of.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "mwt/mwt.h"
#include "quant/dequant_scalar.hpp"
#include "quant/iq_grids.hpp"

using namespace mwt::detail;

namespace {

constexpr uint16_t kHalfQuarter = 0x3400;   // 0.25
constexpr uint16_t kHalfHalf = 0x3800;      // 0.5
constexpr uint16_t kHalfOne = 0x3C00;       // 1.0
constexpr uint16_t kHalfTwo = 0x4000;       // 2.0
constexpr uint16_t kHalfMinusOne = 0xBC00;  // -1.0

void put_u16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v & 0xFF);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}

std::vector<float> decode(DType t, const std::vector<uint8_t>& bytes, uint64_t n) {
  std::vector<float> out(n, -12345.0f);
  dequantize_scalar(t, bytes.data(), bytes.size(), out.data(), n);
  return out;
}

Code code_of(DType t, const uint8_t* src, uint64_t nbytes, float* dst, uint64_t n) {
  return ::code_of([&] { dequantize_scalar(t, src, nbytes, dst, n); });
}

}  // namespace

TEST_CASE("Q8_0 block: q * d", "[dequant]") {
  std::vector<uint8_t> b(34);
  put_u16(b, 0, kHalfHalf);
  for (int j = 0; j < 32; ++j) b[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(j * 8 - 128));
  const auto y = decode(DType::Q8_0, b, 32);
  for (int j = 0; j < 32; ++j) CHECK(y[j] == 0.5f * static_cast<float>(j * 8 - 128));
}

TEST_CASE("Q4_0 / Q4_1 blocks: low nibbles first, then high nibbles", "[dequant]") {
  std::vector<uint8_t> b0(18);
  put_u16(b0, 0, kHalfTwo);
  for (int j = 0; j < 16; ++j) b0[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const auto y0 = decode(DType::Q4_0, b0, 32);
  for (int j = 0; j < 16; ++j) {
    CHECK(y0[j] == 2.0f * static_cast<float>(j - 8));
    CHECK(y0[j + 16] == 2.0f * static_cast<float>(15 - j - 8));
  }
  std::vector<uint8_t> b1(20);
  put_u16(b1, 0, kHalfQuarter);
  put_u16(b1, 2, kHalfMinusOne);
  for (int j = 0; j < 16; ++j) b1[4 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const auto y1 = decode(DType::Q4_1, b1, 32);
  for (int j = 0; j < 16; ++j) {
    CHECK(y1[j] == 0.25f * static_cast<float>(j) - 1.0f);
    CHECK(y1[j + 16] == 0.25f * static_cast<float>(15 - j) - 1.0f);
  }
}

TEST_CASE("Q5_0 / Q5_1 blocks: the fifth bit of value j is bit j of the LE u32 qh", "[dequant]") {
  const uint32_t qh = 0xA5C3F00Fu;
  std::vector<uint8_t> b(22);
  put_u16(b, 0, kHalfOne);
  for (int i = 0; i < 4; ++i) b[2 + i] = static_cast<uint8_t>(qh >> (8 * i));
  for (int j = 0; j < 16; ++j) b[6 + j] = static_cast<uint8_t>((j * 7 % 16) | ((j * 3 % 16) << 4));
  const auto y = decode(DType::Q5_0, b, 32);
  for (int j = 0; j < 16; ++j) {
    const int lo = (j * 7 % 16) + 16 * static_cast<int>((qh >> j) & 1);
    const int hi = (j * 3 % 16) + 16 * static_cast<int>((qh >> (j + 16)) & 1);
    CHECK(y[j] == static_cast<float>(lo - 16));
    CHECK(y[j + 16] == static_cast<float>(hi - 16));
  }
  std::vector<uint8_t> b1(24);
  put_u16(b1, 0, kHalfHalf);
  put_u16(b1, 2, kHalfOne);
  std::memcpy(b1.data() + 4, b.data() + 2, 20);  // same qh and qs
  const auto y1 = decode(DType::Q5_1, b1, 32);
  for (int j = 0; j < 32; ++j) CHECK(y1[j] == 0.5f * (y[j] + 16.0f) + 1.0f);
}

TEST_CASE("Q4_K block: 6-bit scales and mins, 32 low then 32 high nibbles", "[dequant]") {
  // Sub-block k gets scale 10 + 7k and min 3 + 5k (both < 64), packed as the layout says.
  int sc[8], mn[8];
  for (int k = 0; k < 8; ++k) sc[k] = 10 + 7 * k, mn[k] = 3 + 5 * k;
  std::vector<uint8_t> b(144);
  put_u16(b, 0, kHalfOne);   // d
  put_u16(b, 2, kHalfHalf);  // dmin
  uint8_t* s = b.data() + 4;
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = static_cast<uint8_t>((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
    s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
  }
  for (int i = 0; i < 128; ++i) b[16 + i] = static_cast<uint8_t>((i * 5) & 0xFF);
  const auto y = decode(DType::Q4_K, b, 256);
  for (int i = 0; i < 256; ++i) {
    const int k = i / 32, byte = (i / 64) * 32 + i % 32;
    const int q = (k % 2 == 0) ? (((byte * 5) & 0xFF) & 15) : (((byte * 5) & 0xFF) >> 4);
    INFO("value " << i);
    const float want =
        static_cast<float>(sc[k]) * static_cast<float>(q) - 0.5f * static_cast<float>(mn[k]);
    CHECK(y[i] == want);
  }
}

TEST_CASE("Q6_K block: 4 low bits from ql, 2 high bits from qh, biased by 32", "[dequant]") {
  std::vector<uint8_t> b(210, 0);
  put_u16(b, 208, kHalfQuarter);
  for (int k = 0; k < 16; ++k) b[192 + k] = static_cast<uint8_t>(static_cast<int8_t>(k - 8));
  // Value 0: ql[0] low nibble, qh[0] bits 0-1. Value 200 (h=1, r=72): ql[64 + 8] high
  // nibble, qh[32 + 8] bits 4-5; sub-block 12.
  b[0] = 0x0B;
  b[128] = 0x02;
  b[64 + 8] = 0x50;
  b[128 + 32 + 8] = 0x30;
  const auto y = decode(DType::Q6_K, b, 256);
  CHECK(y[0] == 0.25f * -8.0f * static_cast<float>((0x0B | (2 << 4)) - 32));
  CHECK(y[200] == 0.25f * 4.0f * static_cast<float>((0x5 | (3 << 4)) - 32));
  CHECK(y[1] == 0.25f * -8.0f * -32.0f);
}

TEST_CASE("TQ1_0 / TQ2_0: every trit pattern reads back", "[dequant]") {
  // A TQ1_0 byte stores a 5-trit number v (first trit most significant) as ceil(v*256/243).
  std::vector<uint8_t> b(54, 0);
  put_u16(b, 52, kHalfTwo);
  for (int v = 0; v < 243; v += 5) {
    const uint8_t byte = static_cast<uint8_t>((v * 256 + 242) / 243);
    b[0] = byte;
    const auto y = decode(DType::TQ1_0, b, 256);
    int rest = v;
    for (int n = 4; n >= 0; --n) {
      CHECK(y[n * 32] == 2.0f * static_cast<float>(rest % 3 - 1));
      rest /= 3;
    }
  }
  std::vector<uint8_t> t2(66, 0);
  put_u16(t2, 64, kHalfHalf);
  t2[33] = 0b10'01'00'10;  // value i = 128 + s*32 + 1 has field s of byte 33
  const auto y2 = decode(DType::TQ2_0, t2, 256);
  CHECK(y2[129] == 0.5f * 1.0f);
  CHECK(y2[161] == 0.5f * -1.0f);
  CHECK(y2[193] == 0.5f * 0.0f);
  CHECK(y2[225] == 0.5f * 1.0f);
  CHECK(y2[0] == -0.5f);
}

TEST_CASE("MXFP4 / IQ4_NL: table values times the block scale", "[dequant]") {
  const float fp4x2[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
  std::vector<uint8_t> b(17);
  for (int j = 0; j < 16; ++j) b[1 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  for (int e : {0, 1, 2, 100, 128, 200, 254}) {
    b[0] = static_cast<uint8_t>(e);
    const auto y = decode(DType::MXFP4, b, 32);
    const float d = std::ldexp(1.0f, e - 128);  // half the E8M0 scale 2^(e-127)
    for (int j = 0; j < 16; ++j) {
      INFO("e=" << e << " j=" << j);
      CHECK(y[j] == d * fp4x2[j]);
      CHECK(y[j + 16] == d * fp4x2[15 - j]);
    }
  }
  const float nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
  std::vector<uint8_t> q(18);
  put_u16(q, 0, kHalfQuarter);
  for (int j = 0; j < 16; ++j) q[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const auto y = decode(DType::IQ4_NL, q, 32);
  for (int j = 0; j < 16; ++j) {
    CHECK(y[j] == 0.25f * nl[j]);
    CHECK(y[j + 16] == 0.25f * nl[15 - j]);
  }
}

TEST_CASE("IQ2_XXS block: grid entry times (0.5 + s) / 4, signs from an even-parity index",
          "[dequant]") {
  // Group 0: indices 0 (all 0x08) and 255; sign index 1 for the first 8 values (bit 0 set, so
  // the parity bit 7 is set too); scale 3 -> db = 1 * 3.5 * 0.25 = 0.875.
  std::vector<uint8_t> b(66, 0);
  put_u16(b, 0, kHalfOne);
  b[2 + 1] = 255;  // word 0, byte 1: index of values 8..15
  const uint32_t w1 = (3u << 28) | 1u;
  for (int i = 0; i < 4; ++i) b[6 + i] = static_cast<uint8_t>(w1 >> (8 * i));
  const auto y = decode(DType::IQ2_XXS, b, 256);
  CHECK(y[0] == -7.0f);
  for (int e = 1; e < 7; ++e) CHECK(y[e] == 7.0f);
  CHECK(y[7] == -7.0f);
  for (int e = 0; e < 8; ++e)
    CHECK(y[8 + e] == 0.875f * static_cast<float>((quant::kIq2xxsGrid[255] >> (8 * e)) & 0xFF));
  CHECK(y[32] == 0.5f * 0.25f * 8.0f);  // group 1: scale 0, index 0, no signs
}

TEST_CASE("IQ codebooks: coordinates from the documented value sets, entries distinct",
          "[dequant]") {
  auto check_grid = [](const auto* grid, size_t n, int width, std::vector<int> allowed) {
    std::vector<uint64_t> seen(grid, grid + n);
    std::sort(seen.begin(), seen.end());
    CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
    for (size_t i = 0; i < n; ++i)
      for (int e = 0; e < width; ++e) {
        const auto byte = static_cast<uint8_t>(static_cast<uint64_t>(grid[i]) >> (8 * e));
        const int v = static_cast<int8_t>(byte);
        INFO("entry " << i << " coordinate " << e);
        CHECK(std::find(allowed.begin(), allowed.end(), v) != allowed.end());
      }
  };
  check_grid(quant::kIq2xxsGrid, 256, 8, {8, 25, 43});
  check_grid(quant::kIq2xsGrid, 512, 8, {8, 25, 43});
  check_grid(quant::kIq2sGrid, 1024, 8, {8, 25, 43});
  check_grid(quant::kIq3xxsGrid, 256, 4, {4, 12, 20, 28, 36, 44, 52, 62});
  check_grid(quant::kIq3sGrid, 512, 4, {1, 3, 5, 7, 9, 11, 13, 15});
  check_grid(quant::kIq1sGrid, 2048, 8, {-1, 0, 1});
}

TEST_CASE("plain dtypes: floats exact, integers to the nearest float", "[dequant]") {
  const int64_t ints[3] = {INT64_MIN, INT64_MAX, -3};
  std::vector<uint8_t> b(24);
  std::memcpy(b.data(), ints, 24);
  const auto y = decode(DType::I64, b, 3);
  CHECK(y[0] == -9223372036854775808.0f);
  CHECK(y[1] == 9223372036854775808.0f);
  CHECK(y[2] == -3.0f);
  const double d = 1.0 + std::ldexp(1.0, -24);  // a tie between two floats: rounds to even
  std::vector<uint8_t> f(8);
  std::memcpy(f.data(), &d, 8);
  CHECK(decode(DType::F64, f, 1)[0] == 1.0f);
  std::vector<uint8_t> h(2);
  put_u16(h, 0, kHalfMinusOne);
  CHECK(decode(DType::F16, h, 1)[0] == -1.0f);
}

TEST_CASE("NVFP4: unsigned-E4M3 scale per 16 values, halved, times the doubled E2M1 table",
          "[dequant]") {
  std::vector<uint8_t> b(36, 0);
  b[0] = 0x38;  // exponent 7, mantissa 0: 1.0, halved 0.5
  b[1] = 0x01;  // subnormal: 1 * 2^-9, halved 2^-10
  b[2] = 0x7F;  // the NaN pattern of E4M3 decodes to 0
  b[3] = 0xFF;  // top bit ignored by the fields: exponent 15, mantissa 7 -> 480 / 2 = 240
  // value 0: nibble 7 (12); value 8: nibble 9 (-1)
  for (int s = 0; s < 4; ++s) b[4 + 8 * s] = 0x97;
  const auto y = decode(DType::NVFP4, b, 64);
  CHECK(y[0] == 6.0f);
  CHECK(y[8] == -0.5f);
  CHECK(y[16] == 12.0f * 0x1p-10f);
  CHECK(y[32] == 0.0f);
  CHECK(y[48] == 12.0f * 240.0f);
  CHECK(y[56] == -240.0f);
  CHECK(y[1] == 0.0f);
}

TEST_CASE("dequantize_scalar argument errors", "[dequant]") {
  std::vector<uint8_t> b(34 * 2, 0);
  std::vector<float> out(128);
  CHECK(code_of(DType::Q8_0, b.data(), 68, out.data(), 64) == Code::OK);
  CHECK(code_of(DType::Q8_0, b.data(), 67, out.data(), 64) == Code::SIZE_MISMATCH);
  CHECK(code_of(DType::Q8_0, b.data(), 34, out.data(), 64) == Code::SIZE_MISMATCH);
  CHECK(code_of(DType::Q8_0, b.data(), 68, out.data(), 33) == Code::BAD_SHAPE);
  CHECK(code_of(DType::Q8_0, b.data(), 0, out.data(), 0) == Code::OK);
  CHECK(code_of(DType::F32, b.data(), 12, out.data(), 4) == Code::SIZE_MISMATCH);
  CHECK(code_of(DType::Q1_0, b.data(), 18, out.data(), 128) == Code::UNSUPPORTED_FEATURE);
  CHECK(code_of(DType::Q8_K, b.data(), 292, out.data(), 256) == Code::UNSUPPORTED_FEATURE);
  CHECK(code_of(static_cast<DType>(4), b.data(), 18, out.data(), 32) == Code::BAD_DTYPE);
  CHECK(code_of(static_cast<DType>(99999), b.data(), 4, out.data(), 1) == Code::BAD_DTYPE);
  // A huge element count must not wrap the size check into a false match.
  CHECK(code_of(DType::Q8_0, b.data(), 68, out.data(), (UINT64_MAX / 32) * 32) ==
        Code::SIZE_MISMATCH);
  try {
    dequantize_scalar(DType::Q2_0, b.data(), 18, out.data(), 64);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == Code::UNSUPPORTED_FEATURE);
    CHECK(std::string(e.what()).find("Q2_0") != std::string::npos);
  }
}

TEST_CASE("every dtype id dequantizes or is refused, never crashes", "[dequant]") {
  std::mt19937 rng(42);
  int implemented_blocks = 0;
  for (uint32_t id = 0; id < 200; ++id) {
    const DTypeInfo* info = dtype_info(id);
    const auto dt = static_cast<DType>(id);
    const auto cdt = static_cast<mwt_dtype>(id);
    if (info == nullptr) {
      CHECK_FALSE(can_dequantize(dt));
      CHECK(mwt_can_dequantize(cdt) == 0);
      if (id < kGgmlTypeCount) {
        uint8_t dummy[64] = {};
        float out[64];
        CHECK(code_of(dt, dummy, 64, out, 64) == Code::BAD_DTYPE);
      }
      continue;
    }
    INFO("dtype " << info->name);
    // Three blocks of random bytes: any bit pattern must decode without UB.
    std::vector<uint8_t> bytes(3 * info->block_bytes);
    for (auto& x : bytes) x = static_cast<uint8_t>(rng());
    std::vector<float> out(3 * info->block_elems);
    const Code c = code_of(dt, bytes.data(), bytes.size(), out.data(), out.size());
    CHECK(mwt_can_dequantize(cdt) == (can_dequantize(dt) ? 1 : 0));
    if (can_dequantize(dt)) {
      CHECK(c == Code::OK);
      if (info->quantized) ++implemented_blocks;
    } else {
      CHECK(c == Code::UNSUPPORTED_FEATURE);
    }
    mwt_status* st = mwt_dequantize(cdt, bytes.data(), bytes.size(), out.data(), out.size());
    CHECK(mwt_status_code(st) == static_cast<mwt_code>(c));
    mwt_status_free(st);
  }
  CHECK(implemented_blocks == 23);
}

TEST_CASE("mwt_dequantize C ABI: arguments and results", "[dequant][capi]") {
  std::vector<uint8_t> b(34);
  put_u16(b, 0, kHalfTwo);
  for (int j = 0; j < 32; ++j) b[2 + j] = static_cast<uint8_t>(j);
  float out[32];
  mwt_status* st = mwt_dequantize(MWT_DTYPE_Q8_0, b.data(), b.size(), out, 32);
  REQUIRE(st == nullptr);
  for (int j = 0; j < 32; ++j) CHECK(out[j] == 2.0f * static_cast<float>(j));
  st = mwt_dequantize(MWT_DTYPE_Q8_0, nullptr, 34, out, 32);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  mwt_status_free(st);
  st = mwt_dequantize(MWT_DTYPE_Q8_0, b.data(), 34, nullptr, 32);
  CHECK(mwt_status_code(st) == MWT_E_ARGUMENT);
  mwt_status_free(st);
  st = mwt_dequantize(MWT_DTYPE_Q8_0, nullptr, 0, nullptr, 0);
  CHECK(st == nullptr);
  st = mwt_dequantize(MWT_DTYPE_Q8_0, b.data(), 33, out, 32);
  CHECK(mwt_status_code(st) == MWT_E_SIZE_MISMATCH);
  mwt_status_free(st);
  CHECK(mwt_can_dequantize(MWT_DTYPE_Q6_K) == 1);
  CHECK(mwt_can_dequantize(MWT_DTYPE_IQ1_M) == 1);
  CHECK(mwt_can_dequantize(MWT_DTYPE_Q1_0) == 0);
  CHECK(mwt_can_dequantize(static_cast<mwt_dtype>(5)) == 0);
}
