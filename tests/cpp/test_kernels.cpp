// Tests of the SIMD kernels (quant/x86_avx2/, dispatch in quant/dequantize.cpp, core/isa.hpp):
// the MWT_FORCE_ISA rule (select_isa, a pure function), the process-wide choice and its C ABI
// report, and every AVX2 dequantization kernel against the scalar reference dequantize_scalar,
// bit for bit, on random blocks (finite, subnormal, zero and negative f16 scales; then Inf / NaN
// scales, where only NaN payloads may differ; every E8M0 scale byte for MXFP4) and on odd block
// counts.
// Without AVX2 on the test machine the kernel comparisons are skipped with a visible warning.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "code_of.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/isa.hpp"
#include "mwt/mwt.h"
#include "quant/blocks.hpp"
#include "quant/dequant_scalar.hpp"
#include "quant/dequantize.hpp"

using namespace mwt::detail;

namespace {

struct KernelType {
  DType type;
  std::vector<size_t> f16_fields;  // byte offsets of the block's f16 scales (quant/blocks.hpp)
  // IQ1_M has no f16 field: its f16 scale is spread over the top nibbles of the four u16
  // scale words (bits 4w..4w+3 in word w).
  bool f16_in_iq1m_words = false;
};

using namespace mwt::detail::quant;  // the Block* layouts

// The types the AVX2 kernels cover (the test below checks the build has exactly these).
// MXFP4's scale is an E8M0 byte (a finite power of two for every byte value) and NVFP4's four
// are unsigned E4M3 bytes (finite, 0x00/0x7F decode to 0): random bytes give every scale.
const std::vector<KernelType>& avx2_types() {
  static const std::vector<KernelType> types = {
      {DType::Q8_0, {BlockQ8_0::d.at}},
      {DType::Q4_0, {BlockQ4_0::d.at}},
      {DType::Q4_1, {BlockQ4_1::d.at, BlockQ4_1::m.at}},
      {DType::Q5_0, {BlockQ5_0::d.at}},
      {DType::Q5_1, {BlockQ5_1::d.at, BlockQ5_1::m.at}},
      {DType::Q2_K, {BlockQ2_K::d.at, BlockQ2_K::dmin.at}},
      {DType::Q3_K, {BlockQ3_K::d.at}},
      {DType::Q4_K, {BlockQ4_K::d.at, BlockQ4_K::dmin.at}},
      {DType::Q5_K, {BlockQ5_K::d.at, BlockQ5_K::dmin.at}},
      {DType::Q6_K, {BlockQ6_K::d.at}},
      {DType::IQ4_NL, {BlockIQ4_NL::d.at}},
      {DType::IQ4_XS, {BlockIQ4_XS::d.at}},
      {DType::TQ1_0, {BlockTQ1_0::d.at}},
      {DType::TQ2_0, {BlockTQ2_0::d.at}},
      {DType::MXFP4, {}},
      {DType::IQ2_XXS, {BlockIQ2_XXS::d.at}},
      {DType::IQ2_XS, {BlockIQ2_XS::d.at}},
      {DType::IQ2_S, {BlockIQ2_S::d.at}},
      {DType::IQ3_XXS, {BlockIQ3_XXS::d.at}},
      {DType::IQ3_S, {BlockIQ3_S::d.at}},
      {DType::IQ1_S, {BlockIQ1_S::d.at}},
      {DType::IQ1_M, {}, true},
      {DType::NVFP4, {}},
  };
  return types;
}

enum class ScaleKind { Finite, NonFinite };

// A random f16 bit pattern: with ScaleKind::Finite a mix of weight-like normals, any finite
// value, subnormals and signed zeros (both signs throughout); with NonFinite, +-Inf or a NaN
// (quiet or signalling, random payload).
uint16_t random_half(std::mt19937_64& rng, ScaleKind kind) {
  const uint16_t sign = (rng() & 1) ? 0x8000 : 0;
  const uint16_t mant = static_cast<uint16_t>(rng() & 0x3FF);
  if (kind == ScaleKind::NonFinite) {
    if (rng() % 3 == 0) return sign | 0x7C00;
    return sign | 0x7C00 | (mant == 0 ? 1 : mant);
  }
  switch (rng() % 8) {
    case 0: return sign;                           // +-0
    case 1: return sign | (mant == 0 ? 1 : mant);  // subnormal
    case 2:
    case 3:  // any normal
      return sign | static_cast<uint16_t>((1 + rng() % 30) << 10) | mant;
    default: return sign | static_cast<uint16_t>((3 + rng() % 12) << 10) | mant;  // 2^-12..2^-1
  }
}

std::vector<uint8_t> random_blocks(const KernelType& kt, uint64_t n_blocks, std::mt19937_64& rng,
                                   ScaleKind kind) {
  const DTypeInfo* info = dtype_info(static_cast<uint32_t>(kt.type));
  std::vector<uint8_t> raw(n_blocks * info->block_bytes);
  for (auto& b : raw) b = static_cast<uint8_t>(rng());
  for (uint64_t i = 0; i < n_blocks; ++i) {
    uint8_t* block = raw.data() + i * info->block_bytes;
    for (size_t at : kt.f16_fields) {
      const uint16_t h = random_half(rng, kind);
      block[at] = static_cast<uint8_t>(h & 0xFF);
      block[at + 1] = static_cast<uint8_t>(h >> 8);
    }
    if (kt.f16_in_iq1m_words) {
      const uint16_t h = random_half(rng, kind);
      for (int w = 0; w < 4; ++w) {  // the top nibble of little-endian word w is in its byte 1
        uint8_t& top = block[BlockIQ1_M::scales.at + 2 * w + 1];
        top = static_cast<uint8_t>((top & 0x0F) | (((h >> (4 * w)) & 0x0F) << 4));
      }
    }
  }
  return raw;
}

// Decodes raw with the scalar reference and with `isa`; returns the index of the first value
// whose float bits differ, or -1. With nan_payloads_free, two NaNs count as equal whatever their
// bits: when both operands of an add are NaN, x86 returns the first one's payload, and the
// compiler may order the operands of a commutative add either way in the scalar reference (it
// does so differently at -O2 and -O3), so the reference fixes only that the value is NaN.
int64_t first_difference(Isa isa, DType type, const std::vector<uint8_t>& raw, uint64_t n,
                         bool nan_payloads_free = false) {
  std::vector<float> want(n, -1.0f), got(n, -2.0f);
  dequantize_scalar(type, raw.data(), raw.size(), want.data(), n);
  kernels::dequantize_with_isa(isa, type, raw.data(), raw.size(), got.data(), n);
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t a, b;
    std::memcpy(&a, &want[i], 4);
    std::memcpy(&b, &got[i], 4);
    if (nan_payloads_free && std::isnan(want[i]) && std::isnan(got[i])) continue;
    if (a != b) return static_cast<int64_t>(i);
  }
  return -1;
}

bool skip_without_avx2() {
  if (cpu_has_avx2()) return false;
  WARN("SKIPPED: this CPU has no AVX2/FMA/F16C, so the AVX2 kernels cannot be compared here");
  return true;
}

}  // namespace

TEST_CASE("select_isa: MWT_FORCE_ISA rule", "[kernels]") {
  SECTION("unset or empty: the best the CPU has, no reason") {
    for (const char* v : {static_cast<const char*>(nullptr), ""}) {
      CHECK(select_isa(v, true).isa == Isa::Avx2);
      CHECK(select_isa(v, false).isa == Isa::Scalar);
      CHECK(select_isa(v, true).reason.empty());
      CHECK(select_isa(v, false).reason.empty());
    }
  }
  SECTION("scalar is always honoured") {
    for (const char* v : {"scalar", "SCALAR", "Scalar"}) {
      CHECK(select_isa(v, true).isa == Isa::Scalar);
      CHECK(select_isa(v, false).isa == Isa::Scalar);
      CHECK(select_isa(v, true).reason.empty());
    }
  }
  SECTION("avx2 only when the CPU has it; otherwise scalar with the reason") {
    CHECK(select_isa("avx2", true).isa == Isa::Avx2);
    CHECK(select_isa("AVX2", true).isa == Isa::Avx2);
    CHECK(select_isa("avx2", true).reason.empty());
    const auto s = select_isa("avx2", false);
    CHECK(s.isa == Isa::Scalar);
    CHECK(s.reason.find("lacks AVX2") != std::string::npos);
  }
  SECTION("unknown values select scalar and name the value") {
    for (const char* v : {"avx512", "sse", " avx2", "avx2 ", "scalar2", "1", "neon"}) {
      for (bool cpu : {true, false}) {
        const auto s = select_isa(v, cpu);
        CHECK(s.isa == Isa::Scalar);
        CHECK(s.reason.find(std::string("\"") + v + "\"") != std::string::npos);
      }
    }
  }
  CHECK(std::string(isa_name(Isa::Scalar)) == "scalar");
  CHECK(std::string(isa_name(Isa::Avx2)) == "avx2");
}

TEST_CASE("active ISA: follows the CPU and MWT_FORCE_ISA, reported by the C ABI", "[kernels]") {
  const char* env = std::getenv("MWT_FORCE_ISA");
  const auto expected = select_isa(env, cpu_has_avx2());
  CHECK(active() == expected.isa);
  CHECK(std::string(active_isa_reason()) == expected.reason);
  CHECK(std::string(mwt_active_isa()) == isa_name(expected.isa));
  CHECK(mwt_active_isa() == mwt_active_isa());  // a static string
  INFO("active ISA: " << mwt_active_isa());
  SUCCEED();
}

TEST_CASE("kernel tables: scalar has none; avx2 covers exactly the listed types", "[kernels]") {
  for (uint32_t id = 0; id < 64; ++id) {
    CHECK(kernels::dequant_kernel(Isa::Scalar, static_cast<DType>(id)) == nullptr);
  }
#if defined(__x86_64__)
  for (uint32_t id = 0; id < 64; ++id) {
    const DType t = static_cast<DType>(id);
    bool listed = false;
    for (const auto& kt : avx2_types()) listed = listed || kt.type == t;
    INFO("dtype id " << id);
    CHECK((kernels::dequant_kernel(Isa::Avx2, t) != nullptr) == listed);
  }
#endif
}

TEST_CASE("avx2 kernels: bit-identical to the scalar reference on random blocks", "[kernels]") {
  if (skip_without_avx2()) return;
  std::mt19937_64 rng(20261123);
  constexpr uint64_t kBlocks = 12000;
  for (const auto& kt : avx2_types()) {
    const DTypeInfo* info = dtype_info(static_cast<uint32_t>(kt.type));
    INFO(info->name);
    const auto raw = random_blocks(kt, kBlocks, rng, ScaleKind::Finite);
    CHECK(first_difference(Isa::Avx2, kt.type, raw, kBlocks * info->block_elems) == -1);
  }
}

TEST_CASE("avx2 kernels: bit-identical with Inf and NaN scales (NaN payloads aside)", "[kernels]") {
  if (skip_without_avx2()) return;
  std::mt19937_64 rng(7);
  for (const auto& kt : avx2_types()) {
    const DTypeInfo* info = dtype_info(static_cast<uint32_t>(kt.type));
    INFO(info->name);
    const auto raw = random_blocks(kt, 2000, rng, ScaleKind::NonFinite);
    CHECK(first_difference(Isa::Avx2, kt.type, raw, 2000 * info->block_elems, true) == -1);
  }
}

TEST_CASE("avx2 kernels: MXFP4 with every E8M0 scale byte", "[kernels]") {
  if (skip_without_avx2()) return;
  // e = 0 and 1 give subnormal scales, e near 255 overflow the larger values to Inf.
  std::mt19937_64 rng(11);
  constexpr uint64_t kBlocks = 256 * 4;
  const KernelType mxfp4{DType::MXFP4, {}};
  auto raw = random_blocks(mxfp4, kBlocks, rng, ScaleKind::Finite);
  for (uint64_t i = 0; i < kBlocks; ++i) raw[i * 17] = static_cast<uint8_t>(i % 256);
  CHECK(first_difference(Isa::Avx2, DType::MXFP4, raw, kBlocks * 32) == -1);
}

TEST_CASE("avx2 kernels: NVFP4 with every unsigned-E4M3 scale byte in every position",
          "[kernels]") {
  if (skip_without_avx2()) return;
  // Exponent field 0 gives subnormal scales, 0x00 and 0x7F decode to 0, the top bit is ignored.
  std::mt19937_64 rng(12);
  constexpr uint64_t kBlocks = 256 * 2;
  const KernelType nvfp4{DType::NVFP4, {}};
  auto raw = random_blocks(nvfp4, kBlocks, rng, ScaleKind::Finite);
  for (uint64_t i = 0; i < kBlocks; ++i)
    for (uint64_t s = 0; s < 4; ++s) raw[i * 36 + s] = static_cast<uint8_t>((i + 64 * s) % 256);
  CHECK(first_difference(Isa::Avx2, DType::NVFP4, raw, kBlocks * 64) == -1);
}

TEST_CASE("avx2 kernels: single and odd block counts, and the dispatching entry point",
          "[kernels]") {
  if (skip_without_avx2()) return;
  std::mt19937_64 rng(3);
  for (const auto& kt : avx2_types()) {
    const DTypeInfo* info = dtype_info(static_cast<uint32_t>(kt.type));
    for (uint64_t nb : {1u, 3u, 7u}) {
      INFO(info->name << " x " << nb);
      const auto raw = random_blocks(kt, nb, rng, ScaleKind::Finite);
      CHECK(first_difference(Isa::Avx2, kt.type, raw, nb * info->block_elems) == -1);
      // Writes exactly n values: the float after the output is untouched.
      const uint64_t n = nb * info->block_elems;
      std::vector<float> out(n + 1, 123.0f);
      kernels::dequantize(kt.type, raw.data(), raw.size(), out.data(), n);
      CHECK(out[n] == 123.0f);
      std::vector<float> want(n);
      dequantize_scalar(kt.type, raw.data(), raw.size(), want.data(), n);
      CHECK(std::memcmp(out.data(), want.data(), n * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("dispatching dequantize: same argument errors as the scalar reference", "[kernels]") {
  const std::vector<uint8_t> raw(34 * 2, 0);
  float out[64];
  for (Isa isa : {Isa::Scalar, Isa::Avx2}) {
    if (isa == Isa::Avx2 && !cpu_has_avx2()) {
      CHECK(code_of([&] {
              kernels::dequantize_with_isa(isa, DType::Q8_0, raw.data(), 68, out, 64);
            }) == Code::UNSUPPORTED_FEATURE);
      continue;
    }
    INFO(isa_name(isa));
    auto run = [&](DType t, const uint8_t* src, uint64_t nbytes, float* dst, uint64_t n) {
      return code_of([&] { kernels::dequantize_with_isa(isa, t, src, nbytes, dst, n); });
    };
    CHECK(run(DType::Q8_0, raw.data(), 68, out, 63) == Code::BAD_SHAPE);
    CHECK(run(DType::Q8_0, raw.data(), 67, out, 64) == Code::SIZE_MISMATCH);
    CHECK(run(static_cast<DType>(4), raw.data(), 68, out, 64) == Code::BAD_DTYPE);
    CHECK(run(DType::Q8_0, nullptr, 0, nullptr, 0) == Code::OK);
    // Types without a kernel go to the scalar decoder, under either ISA.
    std::vector<uint8_t> f16(8, 0x3C);  // four halves of 1.0039...
    float a[4], b[4];
    kernels::dequantize_with_isa(isa, DType::F16, f16.data(), 8, a, 4);
    dequantize_scalar(DType::F16, f16.data(), 8, b, 4);
    CHECK(std::memcmp(a, b, sizeof a) == 0);
  }
}

#if defined(MWT_KERNELS_X86_AVX2)
#include "quant/kernel_table.hpp"

TEST_CASE("avx2 streaming output: bit-identical at every float alignment, exact extent",
          "[kernels]") {
  if (skip_without_avx2()) return;
  // dequantize_streaming decodes through a 4096-float scratch and streams 32-byte-aligned groups:
  // the block counts straddle chunk boundaries and the output starts at each of the 8 float
  // offsets within a 32-byte line, so the unaligned head and tail paths both run.
  std::mt19937_64 rng(21);
  for (const auto& kt : avx2_types()) {
    const DTypeInfo* info = dtype_info(static_cast<uint32_t>(kt.type));
    const auto kernel = kernels::dequant_kernel(Isa::Avx2, kt.type);
    REQUIRE(kernel != nullptr);
    for (uint64_t nb : {uint64_t{1}, uint64_t{4096 / info->block_elems + 3}}) {
      const auto raw = random_blocks(kt, nb, rng, ScaleKind::Finite);
      const uint64_t n = nb * info->block_elems;
      std::vector<float> want(n);
      kernel(raw.data(), want.data(), nb);
      for (uint64_t off = 0; off < 8; ++off) {
        INFO(info->name << " x " << nb << " at float offset " << off);
        std::vector<float> buf(n + 16, 7.0f);
        float* base = buf.data();
        while (reinterpret_cast<uintptr_t>(base) % 32 != 0) ++base;  // vector: 16 spare floats
        kernels::avx2::dequantize_streaming(kernel, raw.data(), info->block_bytes,
                                            info->block_elems, base + off, nb);
        CHECK(std::memcmp(base + off, want.data(), n * sizeof(float)) == 0);
        CHECK(base[off + n] == 7.0f);
        if (off > 0) CHECK(base[off - 1] == 7.0f);
      }
    }
  }
}

TEST_CASE("avx2 dequantize of a large output (the streaming path) equals the scalar reference",
          "[kernels]") {
  if (skip_without_avx2()) return;
  // 2^22 values = 16 MiB of float32: the size from which quant/dequantize.cpp streams.
  std::mt19937_64 rng(22);
  const KernelType q4k{DType::Q4_K, {0, 2}};
  constexpr uint64_t kBlocks = (uint64_t{1} << 22) / 256;
  const auto raw = random_blocks(q4k, kBlocks, rng, ScaleKind::Finite);
  CHECK(first_difference(Isa::Avx2, DType::Q4_K, raw, kBlocks * 256) == -1);
}
#endif
