// Native tests of core/float_convert.hpp: exhaustive decode -> encode identity for the 16- and
// 8-bit formats, decoding checked against independent formulas, round-to-nearest-even at every
// midpoint, each format's overflow rule, and refusal of dtypes that are not float conversions.
// (The Python tests compare the same functions against torch bit for bit.)
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/float_convert.hpp"

using namespace mwt::detail;

namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

// Format facts of the sign/exponent/mantissa 8-bit formats.
struct F8Format {
  DType dtype;
  const char* name;
  int ebits, mbits, bias;
  bool ieee;      // top exponent is Inf/NaN (E5M2)
  bool fnuz;      // 0x80 is the only NaN; no -0, no Inf
  float max;      // largest finite value
  float min_sub;  // smallest positive subnormal
};
const F8Format kF8[] = {
    {DType::F8_E4M3, "F8_E4M3", 4, 3, 7, false, false, 448.0f, 0x1p-9f},
    {DType::F8_E5M2, "F8_E5M2", 5, 2, 15, true, false, 57344.0f, 0x1p-16f},
    {DType::F8_E4M3FNUZ, "F8_E4M3FNUZ", 4, 3, 8, false, true, 240.0f, 0x1p-10f},
    {DType::F8_E5M2FNUZ, "F8_E5M2FNUZ", 5, 2, 16, false, true, 57344.0f, 0x1p-17f},
};

// Independent decoding of an 8-bit code from the format's definition.
float f8_reference(const F8Format& f, uint8_t v) {
  if (f.fnuz && v == 0x80) return kNaN;
  const bool neg = (v & 0x80) != 0;
  const int e = (v >> f.mbits) & ((1 << f.ebits) - 1);
  const int m = v & ((1 << f.mbits) - 1);
  const int emax = (1 << f.ebits) - 1;
  double x;
  if (f.ieee && e == emax) {
    x = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else if (!f.ieee && !f.fnuz && e == emax && m == (1 << f.mbits) - 1) {
    x = std::numeric_limits<double>::quiet_NaN();  // E4M3FN: S.1111.111 is NaN
  } else if (e == 0) {
    x = std::ldexp(static_cast<double>(m), 1 - f.bias - f.mbits);
  } else {
    x = std::ldexp(static_cast<double>((1 << f.mbits) + m), e - f.bias - f.mbits);
  }
  return static_cast<float>(neg ? -x : x);
}

// Independent F16 decoding: (-1)^s * 2^(e-15) * (1 + m/1024), subnormals m * 2^-24.
float f16_reference(uint16_t h) {
  const int s = h >> 15, e = (h >> 10) & 0x1F, m = h & 0x3FF;
  double x;
  if (e == 0x1F) {
    x = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else if (e == 0) {
    x = std::ldexp(static_cast<double>(m), -24);
  } else {
    x = std::ldexp(1.0 + m / 1024.0, e - 15);
  }
  return static_cast<float>(s ? -x : x);
}

// Independent BF16 decoding: 8 exponent bits (bias 127) and 7 mantissa bits.
float bf16_reference(uint16_t b) {
  const int s = b >> 15, e = (b >> 7) & 0xFF, m = b & 0x7F;
  double x;
  if (e == 0xFF) {
    x = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else if (e == 0) {
    x = std::ldexp(static_cast<double>(m), -133);
  } else {
    x = std::ldexp(1.0 + m / 128.0, e - 127);
  }
  return static_cast<float>(s ? -x : x);
}

// Same value and same sign of zero (NaN equal to NaN).
bool same(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

}  // namespace

// ------------------------------------------------------------------------------ F16

TEST_CASE("float convert: F16 decode matches the ldexp formula for all 65536 patterns", "[float]") {
  size_t mismatches = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float got = f16_to_f32(static_cast<uint16_t>(h)),
                want = f16_reference(static_cast<uint16_t>(h));
    if (!same(got, want)) {
      if (++mismatches <= 5)
        FAIL_CHECK("pattern 0x" << std::hex << h << ": " << got << " vs " << want);
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("float convert: F16 decode -> encode is the identity on all non-NaN patterns",
          "[float]") {
  size_t checked = 0, mismatches = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = f16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ++checked;
    if (f32_to_f16(f) != h && ++mismatches <= 5) FAIL_CHECK("pattern 0x" << std::hex << h);
  }
  CHECK(mismatches == 0);
  CHECK(checked == 65536 - 2 * 1023);  // every pattern but the NaNs (exponent 31, mantissa != 0)
}

TEST_CASE("float convert: F16 encode rounds to nearest, ties to even, at every midpoint",
          "[float]") {
  size_t mismatches = 0;
  for (uint16_t a = 0; a < 0x7BFF; ++a) {  // adjacent positive finite pairs (a, a + 1)
    const uint16_t b = static_cast<uint16_t>(a + 1);
    const float lo = f16_to_f32(a), hi = f16_to_f32(b);
    const float mid = (lo + hi) / 2;  // exact in F32
    const uint16_t even = (a & 1) ? b : a;
    bool ok = f32_to_f16(mid) == even && f32_to_f16(std::nextafter(mid, 0.0f)) == a &&
              f32_to_f16(std::nextafter(mid, kInf)) == b && f32_to_f16(-mid) == (even | 0x8000);
    if (!ok && ++mismatches <= 5) FAIL_CHECK("midpoint of 0x" << std::hex << a << " and 0x" << b);
  }
  CHECK(mismatches == 0);
}

TEST_CASE("float convert: F16 known values: 65520 -> Inf, 65519 -> 65504, NaN -> quiet NaN",
          "[float]") {
  CHECK(f32_to_f16(65520.0f) == 0x7C00);
  CHECK(f32_to_f16(65519.0f) == 0x7BFF);
  CHECK(f32_to_f16(-65520.0f) == 0xFC00);
  CHECK(f32_to_f16(65504.0f) == 0x7BFF);
  CHECK(f32_to_f16(kInf) == 0x7C00);
  CHECK(f32_to_f16(1e10f) == 0x7C00);
  CHECK(f32_to_f16(1.0f) == 0x3C00);
  CHECK(f32_to_f16(-0.0f) == 0x8000);
  CHECK(f32_to_f16(0x1p-24f) == 0x0001);    // smallest subnormal
  CHECK(f32_to_f16(0x1p-25f) == 0x0000);    // half of it: tie to even (zero)
  CHECK(f32_to_f16(0x1.8p-24f) == 0x0002);  // 1.5 ulp: tie to even (2)
  CHECK(f32_to_f16(0x1p-26f) == 0x0000);
  const uint16_t n = f32_to_f16(kNaN);
  CHECK((n & 0x7C00) == 0x7C00);
  CHECK((n & 0x03FF) != 0);
  CHECK(std::isnan(f16_to_f32(n)));
}

// ------------------------------------------------------------------------------ BF16

TEST_CASE("float convert: BF16 decode matches the formula for all 65536 patterns", "[float]") {
  size_t mismatches = 0;
  for (uint32_t b = 0; b < 65536; ++b) {
    if (!same(bf16_to_f32(static_cast<uint16_t>(b)), bf16_reference(static_cast<uint16_t>(b))) &&
        ++mismatches <= 5)
      FAIL_CHECK("pattern 0x" << std::hex << b);
  }
  CHECK(mismatches == 0);
}

TEST_CASE("float convert: BF16 decode -> encode is the identity on all non-NaN patterns",
          "[float]") {
  size_t checked = 0, mismatches = 0;
  for (uint32_t b = 0; b < 65536; ++b) {
    const float f = bf16_to_f32(static_cast<uint16_t>(b));
    if (std::isnan(f)) continue;
    ++checked;
    if (f32_to_bf16(f) != b && ++mismatches <= 5) FAIL_CHECK("pattern 0x" << std::hex << b);
  }
  CHECK(mismatches == 0);
  CHECK(checked == 65536 - 2 * 127);
}

TEST_CASE("float convert: BF16 encode ties to even (0x3F808000 -> 0x3F80, 0x3F818000 -> 0x3F82)",
          "[float]") {
  CHECK(f32_to_bf16(float_of(0x3F808000u)) == 0x3F80);
  CHECK(f32_to_bf16(float_of(0x3F818000u)) == 0x3F82);
  CHECK(f32_to_bf16(float_of(0x3F808001u)) == 0x3F81);
  CHECK(f32_to_bf16(float_of(0x3F807FFFu)) == 0x3F80);
  CHECK(f32_to_bf16(float_of(0x7F7FFFFFu)) == 0x7F80);  // rounding carries into Inf
  CHECK(f32_to_bf16(kNaN) == 0x7FC0);
  CHECK(f32_to_bf16(-kInf) == 0xFF80);
  size_t mismatches = 0;
  for (uint32_t a = 0; a < 0x7F7F; ++a) {  // every midpoint of adjacent positive finite values
    const uint32_t mid_bits = (a << 16) | 0x8000u;
    const uint16_t even = static_cast<uint16_t>((a & 1) ? a + 1 : a);
    if ((f32_to_bf16(float_of(mid_bits)) != even || f32_to_bf16(float_of(mid_bits - 1)) != a ||
         f32_to_bf16(float_of(mid_bits + 1)) != a + 1) &&
        ++mismatches <= 5)
      FAIL_CHECK("midpoint above 0x" << std::hex << a);
  }
  CHECK(mismatches == 0);
}

// ------------------------------------------------------------------------------ F8

TEST_CASE("float convert: F8 decode matches each format's definition for all 256 patterns",
          "[float]") {
  for (const F8Format& f : kF8) {
    INFO(f.name);
    size_t mismatches = 0;
    for (uint32_t v = 0; v < 256; ++v)
      if (!same(f8_to_f32(f.dtype, static_cast<uint8_t>(v)),
                f8_reference(f, static_cast<uint8_t>(v))) &&
          ++mismatches <= 5)
        FAIL_CHECK("pattern 0x" << std::hex << v);
    CHECK(mismatches == 0);
    // Extremes (format facts).
    float max = 0, min_sub = kInf;
    for (uint32_t v = 0; v < 256; ++v) {
      const float x = f8_to_f32(f.dtype, static_cast<uint8_t>(v));
      if (std::isfinite(x) && x > max) max = x;
      if (std::isfinite(x) && x > 0 && x < min_sub) min_sub = x;
    }
    CHECK(max == f.max);
    CHECK(min_sub == f.min_sub);
  }
}

TEST_CASE("float convert: F8 decode -> encode is the identity on all non-NaN patterns", "[float]") {
  for (const F8Format& f : kF8) {
    INFO(f.name);
    size_t checked = 0, mismatches = 0;
    for (uint32_t v = 0; v < 256; ++v) {
      const float x = f8_to_f32(f.dtype, static_cast<uint8_t>(v));
      if (std::isnan(x)) continue;
      ++checked;
      if (f32_to_f8(f.dtype, x) != v && ++mismatches <= 5)
        FAIL_CHECK("pattern 0x" << std::hex << v);
    }
    CHECK(mismatches == 0);
    // NaNs: E4M3 has two (S.1111.111), E5M2 six (exponent 31, mantissa != 0), FNUZ one (0x80).
    const size_t nans = f.fnuz ? 1 : f.ieee ? 6 : 2;
    CHECK(checked == 256 - nans);
  }
  // F8_E8M0: 0..254 are powers of two, 0xFF is NaN.
  size_t mismatches = 0;
  for (uint32_t v = 0; v < 255; ++v) {
    const float x = f8_to_f32(DType::F8_E8M0, static_cast<uint8_t>(v));
    if ((x != std::ldexp(1.0f, static_cast<int>(v) - 127) || f32_to_f8(DType::F8_E8M0, x) != v) &&
        ++mismatches <= 5)
      FAIL_CHECK("E8M0 pattern " << v);
  }
  CHECK(mismatches == 0);
  CHECK(std::isnan(f8_to_f32(DType::F8_E8M0, 0xFF)));
}

TEST_CASE("float convert: F8 encode rounds to nearest, ties to even, at every midpoint",
          "[float]") {
  for (const F8Format& f : kF8) {
    INFO(f.name);
    // Positive finite codes are 0x00 up to the largest finite one.
    uint8_t top = 0;
    for (uint32_t v = 0; v < 0x80; ++v)
      if (f8_to_f32(f.dtype, static_cast<uint8_t>(v)) == f.max) top = static_cast<uint8_t>(v);
    REQUIRE(top > 0);
    size_t mismatches = 0;
    for (uint8_t a = 0; a < top; ++a) {
      const uint8_t b = static_cast<uint8_t>(a + 1);
      const float mid = (f8_to_f32(f.dtype, a) + f8_to_f32(f.dtype, b)) / 2;
      const uint8_t even = (a & 1) ? b : a;
      if ((f32_to_f8(f.dtype, mid) != even || f32_to_f8(f.dtype, std::nextafter(mid, 0.0f)) != a ||
           f32_to_f8(f.dtype, std::nextafter(mid, kInf)) != b) &&
          ++mismatches <= 5)
        FAIL_CHECK("midpoint of 0x" << std::hex << int(a) << " and 0x" << int(b));
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE(
    "float convert: F8 overflow rules: E4M3 saturates to 448, E5M2 goes to Inf, FNUZ to NaN 0x80",
    "[float]") {
  // F8_E4M3 (E4M3FN): no infinity, saturates; NaN stays NaN.
  CHECK(f32_to_f8(DType::F8_E4M3, 448.0f) == 0x7E);
  CHECK(f32_to_f8(DType::F8_E4M3, 1e6f) == 0x7E);
  CHECK(f32_to_f8(DType::F8_E4M3, kInf) == 0x7E);
  CHECK(f32_to_f8(DType::F8_E4M3, -kInf) == 0xFE);
  CHECK(f32_to_f8(DType::F8_E4M3, -1e6f) == 0xFE);
  CHECK(std::isnan(f8_to_f32(DType::F8_E4M3, f32_to_f8(DType::F8_E4M3, kNaN))));
  // F8_E5M2: IEEE-style, overflow is Inf.
  CHECK(f32_to_f8(DType::F8_E5M2, 1e6f) == 0x7C);
  CHECK(f32_to_f8(DType::F8_E5M2, -1e6f) == 0xFC);
  CHECK(f32_to_f8(DType::F8_E5M2, 57344.0f) == 0x7B);
  CHECK(f32_to_f8(DType::F8_E5M2, kInf) == 0x7C);
  CHECK(std::isnan(f8_to_f32(DType::F8_E5M2, f32_to_f8(DType::F8_E5M2, kNaN))));
  // FNUZ: overflow, Inf and NaN all become the single NaN 0x80; -0 becomes +0.
  for (DType d : {DType::F8_E4M3FNUZ, DType::F8_E5M2FNUZ}) {
    INFO(static_cast<int>(d));
    CHECK(f32_to_f8(d, 1e6f) == 0x80);
    CHECK(f32_to_f8(d, -1e6f) == 0x80);
    CHECK(f32_to_f8(d, kInf) == 0x80);
    CHECK(f32_to_f8(d, kNaN) == 0x80);
    CHECK(f32_to_f8(d, -0.0f) == 0x00);
  }
  CHECK(f32_to_f8(DType::F8_E4M3FNUZ, 240.0f) == 0x7F);
}

TEST_CASE(
    "float convert: E8M0 known values (1.5 -> 128, 1.49 -> 127, 2^-127 -> 0, -2 -> 128, Inf -> "
    "255)",
    "[float]") {
  CHECK(f32_to_f8(DType::F8_E8M0, 1.5f) == 128);
  CHECK(f32_to_f8(DType::F8_E8M0, 1.49f) == 127);
  CHECK(f32_to_f8(DType::F8_E8M0, 0x1p-127f) == 0);
  CHECK(f32_to_f8(DType::F8_E8M0, -2.0f) == 128);
  CHECK(f32_to_f8(DType::F8_E8M0, kInf) == 255);
  CHECK(f32_to_f8(DType::F8_E8M0, kNaN) == 255);
  CHECK(f32_to_f8(DType::F8_E8M0, 1.0f) == 127);
  // The rounding rule on every normal binade: a mantissa of 1.5 or more rounds up.
  size_t mismatches = 0;
  for (int v = 1; v < 254; ++v) {
    const float p = std::ldexp(1.0f, v - 127);
    if ((f32_to_f8(DType::F8_E8M0, p * 1.5f) != v + 1 ||
         f32_to_f8(DType::F8_E8M0, std::nextafter(p * 1.5f, 0.0f)) != v) &&
        ++mismatches <= 5)
      FAIL_CHECK("binade " << v);
  }
  CHECK(mismatches == 0);
}

// ------------------------------------------------------------------------------ bulk conversions

TEST_CASE(
    "float convert: bulk convert_to_f32 / convert_from_f32 agree with the single-value functions",
    "[float]") {
  std::vector<uint16_t> h(65536);
  for (uint32_t i = 0; i < 65536; ++i) h[i] = static_cast<uint16_t>(i);
  std::vector<float> f(65536);
  for (DType d : {DType::F16, DType::BF16}) {
    INFO(static_cast<int>(d));
    convert_to_f32(d, h.data(), h.size(), f.data());
    size_t mismatches = 0;
    for (uint32_t i = 0; i < 65536; ++i) {
      const float want = d == DType::F16 ? f16_to_f32(h[i]) : bf16_to_f32(h[i]);
      if (bits_of(f[i]) != bits_of(want)) ++mismatches;
    }
    CHECK(mismatches == 0);
    std::vector<uint16_t> back(65536);
    convert_from_f32(d, f.data(), f.size(), back.data());
    mismatches = 0;
    for (uint32_t i = 0; i < 65536; ++i) {
      const uint16_t want = d == DType::F16 ? f32_to_f16(f[i]) : f32_to_bf16(f[i]);
      if (back[i] != want) ++mismatches;
    }
    CHECK(mismatches == 0);
  }
  std::vector<uint8_t> b(256);
  for (uint32_t i = 0; i < 256; ++i) b[i] = static_cast<uint8_t>(i);
  for (DType d :
       {DType::F8_E4M3, DType::F8_E5M2, DType::F8_E4M3FNUZ, DType::F8_E5M2FNUZ, DType::F8_E8M0}) {
    INFO(static_cast<int>(d));
    std::vector<float> x(256);
    convert_to_f32(d, b.data(), b.size(), x.data());
    std::vector<uint8_t> back(256);
    convert_from_f32(d, x.data(), x.size(), back.data());
    for (uint32_t i = 0; i < 256; ++i) {
      CHECK(same(x[i], f8_to_f32(d, b[i])));
      CHECK(back[i] == f32_to_f8(d, x[i]));
    }
  }
  // F64 rounds to nearest (within the F32 range).
  const double d64[3] = {1.0, 0.1, -65504.0};
  float out[3];
  convert_to_f32(DType::F64, d64, 3, out);
  CHECK(out[0] == 1.0f);
  CHECK(out[1] == 0.1f);
  CHECK(out[2] == -65504.0f);
  double d_back[3];
  convert_from_f32(DType::F64, out, 3, d_back);
  CHECK(d_back[1] == static_cast<double>(0.1f));
}

TEST_CASE("float convert: non-float dtypes (Q4_K, I32, ...) are BAD_DTYPE in both directions",
          "[float]") {
  uint8_t buf[1024] = {};
  float f[256] = {};
  for (DType d : {DType::Q4_K, DType::I32, DType::U8, DType::BOOL, DType::F4, DType::F6_E2M3,
                  DType::C64, DType::I64}) {
    const DTypeInfo* info = dtype_info(static_cast<uint32_t>(d));
    REQUIRE(info != nullptr);
    INFO(info->name);
    CHECK_FALSE(is_convertible_float(d));
    for (int dir = 0; dir < 2; ++dir) {
      try {
        if (dir == 0)
          convert_to_f32(d, buf, 1, f);
        else
          convert_from_f32(d, f, 1, buf);
        FAIL("no error");
      } catch (const Error& e) {
        CHECK(e.code() == Code::BAD_DTYPE);
        CHECK(std::string(e.what()).find(std::string(info->name)) != std::string::npos);
      }
    }
  }
  for (DType d : {DType::F32, DType::F64, DType::F16, DType::BF16, DType::F8_E4M3, DType::F8_E5M2,
                  DType::F8_E4M3FNUZ, DType::F8_E5M2FNUZ, DType::F8_E8M0}) {
    CHECK(is_convertible_float(d));
    CHECK_NOTHROW(convert_to_f32(d, buf, 1, f));
    CHECK_NOTHROW(convert_from_f32(d, f, 1, buf));
  }
}
