// Float conversions; the rules are in float_convert.hpp.
#include "core/float_convert.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace mwt::detail {
namespace {

uint32_t bits_of(float f) noexcept {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float float_of(uint32_t u) noexcept {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// A sign + exponent + mantissa 8-bit float. kind says how the top exponent and NaN work.
enum class Kind { IEEE, FN, FNUZ };
struct MiniFloat {
  int ebits, mbits, bias;
  Kind kind;
};
constexpr MiniFloat kE4M3{4, 3, 7, Kind::FN};  // overflow saturates to +-448 (see header)
constexpr MiniFloat kE5M2{5, 2, 15, Kind::IEEE};
constexpr MiniFloat kE4M3FNUZ{4, 3, 8, Kind::FNUZ};
constexpr MiniFloat kE5M2FNUZ{5, 2, 16, Kind::FNUZ};

float mini_decode(const MiniFloat& f, uint8_t v) noexcept {
  const uint32_t emask = (1u << f.ebits) - 1, mmask = (1u << f.mbits) - 1;
  const bool neg = (v & 0x80) != 0;
  if (f.kind == Kind::FNUZ && v == 0x80) return std::numeric_limits<float>::quiet_NaN();
  const uint32_t e = (v >> f.mbits) & emask, m = v & mmask;
  float out;
  if (f.kind == Kind::IEEE && e == emask) {
    out = m ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else if (f.kind == Kind::FN && e == emask && m == mmask) {
    out = std::numeric_limits<float>::quiet_NaN();
  } else if (e == 0) {
    out = std::ldexp(static_cast<float>(m), 1 - f.bias - f.mbits);
  } else {
    out =
        std::ldexp(static_cast<float>((1u << f.mbits) | m), static_cast<int>(e) - f.bias - f.mbits);
  }
  return neg ? -out : out;
}

// Round-to-nearest-even of a non-negative double that is an exact scaled float.
double round_half_even(double q) noexcept {
  const double r = std::floor(q);
  const double d = q - r;
  if (d > 0.5 || (d == 0.5 && std::fmod(r, 2.0) != 0.0)) return r + 1.0;
  return r;
}

uint8_t mini_encode(const MiniFloat& f, float x) noexcept {
  const uint32_t emask = (1u << f.ebits) - 1, mmask = (1u << f.mbits) - 1;
  const uint8_t sign = (bits_of(x) >> 24) & 0x80;
  const uint8_t nan = f.kind == Kind::FNUZ ? 0x80 : static_cast<uint8_t>(sign | 0x7F);
  const uint8_t zero = f.kind == Kind::FNUZ ? 0 : sign;
  // IEEE: +-Inf. FN (E4M3): saturate to the largest finite value, +-448. FNUZ: the NaN.
  const uint8_t overflow = f.kind == Kind::IEEE ? static_cast<uint8_t>(sign | (emask << f.mbits))
                           : f.kind == Kind::FN
                               ? static_cast<uint8_t>(sign | (((emask << f.mbits) | mmask) - 1))
                               : nan;
  if (std::isnan(x)) return nan;
  if (std::isinf(x)) return overflow;
  const double a = std::fabs(static_cast<double>(x));
  if (a == 0.0) return zero;
  int ex;
  std::frexp(a, &ex);  // a = fr * 2^ex, fr in [0.5, 1): floor(log2 a) = ex - 1
  const int emin = 1 - f.bias;
  int e = std::max(ex - 1, emin);
  double r = round_half_even(std::ldexp(a, f.mbits - e));  // mantissa in units of 2^(e-mbits)
  if (r >= std::ldexp(1.0, f.mbits + 1)) {                 // rounding carried into the next binade
    r /= 2.0;
    e += 1;
  }
  if (r == 0.0) return zero;
  const uint32_t ri = static_cast<uint32_t>(r);
  uint32_t code;
  if (ri < (1u << f.mbits)) {
    code = ri;  // subnormal (e == emin)
  } else {
    const int be = e + f.bias;
    if (be > static_cast<int>(emask)) return overflow;
    code = (static_cast<uint32_t>(be) << f.mbits) | (ri & mmask);
  }
  // Largest finite code: IEEE reserves the top exponent, FN only its all-ones mantissa, FNUZ
  // uses every code (0x80 is NaN and never produced here because the sign is ORed in below).
  const uint32_t max_code = f.kind == Kind::IEEE ? ((emask << f.mbits) - 1)
                            : f.kind == Kind::FN ? ((emask << f.mbits) | mmask) - 1
                                                 : 0x7F;
  if (code > max_code) return overflow;
  return static_cast<uint8_t>(sign | code);
}

// E8M0: an unsigned power of two 2^(v-127); 0xFF is NaN.
float e8m0_decode(uint8_t v) noexcept {
  if (v == 0xFF) return std::numeric_limits<float>::quiet_NaN();
  return std::ldexp(1.0f, static_cast<int>(v) - 127);
}

uint8_t e8m0_encode(float x) noexcept {
  const uint32_t u = bits_of(x);
  uint32_t exponent = (u >> 23) & 0xFF;
  if (exponent == 0xFF) return 0xFF;  // NaN and +-Inf
  // Round to nearest on the F32 significand, where the kept "last bit" is the implicit leading
  // bit (1 for normal inputs, 0 for subnormal ones): so 1.5 * 2^e rounds up, an exact 0.5 * 2^-126
  // stays 2^-127. This is torch's rule.
  const uint32_t guard = (u >> 22) & 1, rest = u & 0x3FFFFF;
  if (guard && (rest != 0 || exponent > 0)) ++exponent;
  return exponent > 0xFE ? 0xFF : static_cast<uint8_t>(exponent);
}

const MiniFloat* mini_of(DType d) noexcept {
  switch (d) {
    case DType::F8_E4M3: return &kE4M3;
    case DType::F8_E5M2: return &kE5M2;
    case DType::F8_E4M3FNUZ: return &kE4M3FNUZ;
    case DType::F8_E5M2FNUZ: return &kE5M2FNUZ;
    default: return nullptr;
  }
}

// Decode tables for the 8-bit formats, built once.
struct F8Tables {
  std::array<float, 256> t[5];
  F8Tables() {
    const DType ds[5] = {DType::F8_E4M3, DType::F8_E5M2, DType::F8_E4M3FNUZ, DType::F8_E5M2FNUZ,
                         DType::F8_E8M0};
    for (int k = 0; k < 5; ++k)
      for (int v = 0; v < 256; ++v) t[k][v] = f8_to_f32(ds[k], static_cast<uint8_t>(v));
  }
  const std::array<float, 256>& of(DType d) const noexcept {
    switch (d) {
      case DType::F8_E4M3: return t[0];
      case DType::F8_E5M2: return t[1];
      case DType::F8_E4M3FNUZ: return t[2];
      case DType::F8_E5M2FNUZ: return t[3];
      default: return t[4];
    }
  }
};
const F8Tables& f8_tables() {
  static const F8Tables tables;
  return tables;
}

[[noreturn]] void not_convertible(DType d, const char* direction) {
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(d));
  // Appended, not "#" + std::to_string(...): GCC 12 warns falsely (-Wrestrict, inside
  // char_traits.h) about operator+(const char*, std::string&&).
  std::string name = info ? std::string(info->name) : std::string("#");
  if (info == nullptr) name += std::to_string(static_cast<uint32_t>(d));
  fail(Code::BAD_DTYPE, std::string("cannot convert ") + direction + " dtype " + name +
                            ": only F32, F64, F16, BF16 and the F8 formats are float conversions");
}

}  // namespace

float f16_to_f32(uint16_t h) noexcept {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t e = (h >> 10) & 0x1F, m = h & 0x3FF;
  if (e == 0x1F) return float_of(sign | 0x7F800000u | (m << 13));  // Inf / NaN (payload kept)
  if (e == 0) {
    const float v = std::ldexp(static_cast<float>(m), -24);  // exact: m < 2^10
    return sign ? -v : v;
  }
  return float_of(sign | ((e + 112) << 23) | (m << 13));
}

uint16_t f32_to_f16(float f) noexcept {
  uint32_t x = bits_of(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  x &= 0x7FFFFFFFu;
  if (x >= 0x7F800000u)  // Inf stays Inf; every NaN becomes the canonical quiet NaN (as torch)
    return sign | (x > 0x7F800000u ? 0x7E00 : 0x7C00);
  if (x >= 0x477FF000u) return sign | 0x7C00;  // >= 65520 rounds past the largest half
  if (x < 0x38800000u) {
    // Below 2^-14 the result is subnormal: adding 0.5f makes the FPU round |f| to a multiple of
    // 2^-24 (the ulp of [0.5, 1)), to nearest-even; the low bits are then the half mantissa.
    const float t = float_of(x) + 0.5f;
    return sign | static_cast<uint16_t>(bits_of(t) - 0x3F000000u);
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest-even.
  const uint32_t odd = (x >> 13) & 1;
  x += 0xC8000FFFu + odd;  // -(112 << 23) + 0xFFF + odd
  return sign | static_cast<uint16_t>(x >> 13);
}

float bf16_to_f32(uint16_t b) noexcept { return float_of(static_cast<uint32_t>(b) << 16); }

uint16_t f32_to_bf16(float f) noexcept {
  const uint32_t u = bits_of(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return 0x7FC0;  // every NaN -> canonical +qNaN (as torch)
  const uint32_t odd = (u >> 16) & 1;
  return static_cast<uint16_t>((u + 0x7FFFu + odd) >> 16);
}

float f8_to_f32(DType fmt, uint8_t v) noexcept {
  if (fmt == DType::F8_E8M0) return e8m0_decode(v);
  const MiniFloat* mf = mini_of(fmt);
  return mf ? mini_decode(*mf, v) : std::numeric_limits<float>::quiet_NaN();
}

uint8_t f32_to_f8(DType fmt, float f) noexcept {
  if (fmt == DType::F8_E8M0) return e8m0_encode(f);
  const MiniFloat* mf = mini_of(fmt);
  return mf ? mini_encode(*mf, f) : 0;
}

bool is_convertible_float(DType d) noexcept {
  switch (d) {
    case DType::F32:
    case DType::F64:
    case DType::F16:
    case DType::BF16:
    case DType::F8_E4M3:
    case DType::F8_E5M2:
    case DType::F8_E4M3FNUZ:
    case DType::F8_E5M2FNUZ:
    case DType::F8_E8M0: return true;
    default: return false;
  }
}

void convert_to_f32(DType d, const void* src, uint64_t n, float* dst) {
  const auto* p = static_cast<const unsigned char*>(src);
  switch (d) {
    case DType::F32: std::memcpy(dst, p, n * 4); return;
    case DType::F64:
      for (uint64_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, p + 8 * i, 8);
        dst[i] = static_cast<float>(v);
      }
      return;
    case DType::F16:
      for (uint64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        dst[i] = f16_to_f32(h);
      }
      return;
    case DType::BF16:
      for (uint64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        dst[i] = bf16_to_f32(h);
      }
      return;
    case DType::F8_E4M3:
    case DType::F8_E5M2:
    case DType::F8_E4M3FNUZ:
    case DType::F8_E5M2FNUZ:
    case DType::F8_E8M0: {
      const auto& t = f8_tables().of(d);
      for (uint64_t i = 0; i < n; ++i) dst[i] = t[p[i]];
      return;
    }
    default: not_convertible(d, "to F32 from");
  }
}

void convert_from_f32(DType d, const float* src, uint64_t n, void* dst) {
  auto* p = static_cast<unsigned char*>(dst);
  switch (d) {
    case DType::F32: std::memcpy(p, src, n * 4); return;
    case DType::F64:
      for (uint64_t i = 0; i < n; ++i) {
        const double v = src[i];
        std::memcpy(p + 8 * i, &v, 8);
      }
      return;
    case DType::F16:
      for (uint64_t i = 0; i < n; ++i) {
        const uint16_t h = f32_to_f16(src[i]);
        std::memcpy(p + 2 * i, &h, 2);
      }
      return;
    case DType::BF16:
      for (uint64_t i = 0; i < n; ++i) {
        const uint16_t h = f32_to_bf16(src[i]);
        std::memcpy(p + 2 * i, &h, 2);
      }
      return;
    case DType::F8_E4M3:
    case DType::F8_E5M2:
    case DType::F8_E4M3FNUZ:
    case DType::F8_E5M2FNUZ:
    case DType::F8_E8M0:
      for (uint64_t i = 0; i < n; ++i) p[i] = f32_to_f8(d, src[i]);
      return;
    default: not_convertible(d, "from F32 to");
  }
}

}  // namespace mwt::detail
