// Tests of multi-threaded dequantization: the range splitter and thread runner
// (core/thread_split.hpp: coverage, one thread per range, exceptions from workers), the
// MWT_NUM_THREADS rule, the per-call thread count (minimum work per thread), and split
// dequantization against a single-threaded run, bit for bit: every dtype under both ISAs cut
// 2..16 ways over block counts that do not divide evenly, and a few dtypes at sizes around the
// threading threshold; then the C ABI entry point mwt_dequantize_threads.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "code_of.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/isa.hpp"
#include "core/thread_split.hpp"
#include "mwt/mwt.h"
#include "quant/dequant_scalar.hpp"
#include "quant/dequantize.hpp"

using namespace mwt::detail;
using kernels::kMinValuesPerThread;

namespace {

// Byte offsets of the f16 scale fields per block type (ggml-common.h field order). Random bytes
// there could be NaN/Inf scales; those are replaced by finite halves so that the comparison
// with the scalar reference can be exact (NaN payloads may legitimately differ between ISAs,
// see test_kernels.cpp). IQ1_M's scale is spread over nibbles: set_iq1m_scale. MXFP4's E8M0
// scale byte is finite unless 0xFF: see random_blocks.
const std::map<DType, std::vector<size_t>>& f16_fields() {
  static const std::map<DType, std::vector<size_t>> fields = {
      {DType::Q4_0, {0}},    {DType::Q4_1, {0, 2}},   {DType::Q5_0, {0}},    {DType::Q5_1, {0, 2}},
      {DType::Q8_0, {0}},    {DType::Q2_K, {80, 82}}, {DType::Q3_K, {108}},  {DType::Q4_K, {0, 2}},
      {DType::Q5_K, {0, 2}}, {DType::Q6_K, {208}},    {DType::IQ4_NL, {0}},  {DType::IQ4_XS, {0}},
      {DType::TQ1_0, {52}},  {DType::TQ2_0, {64}},    {DType::MXFP4, {}},    {DType::IQ2_XXS, {0}},
      {DType::IQ2_XS, {0}},  {DType::IQ2_S, {0}},     {DType::IQ3_XXS, {0}}, {DType::IQ3_S, {0}},
      {DType::IQ1_S, {0}},   {DType::IQ1_M, {}},
  };
  return fields;
}

// A finite, normal f16 of weight-scale magnitude (2^-12 .. 2^-1), either sign.
uint16_t sane_half(std::mt19937_64& rng) {
  const uint16_t sign = (rng() & 1) ? 0x8000 : 0;
  return sign | static_cast<uint16_t>((3 + rng() % 12) << 10) |
         static_cast<uint16_t>(rng() & 0x3FF);
}

void put_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v & 0xFF);
  p[1] = static_cast<uint8_t>(v >> 8);
}

// IQ1_M: bits 4k..4k+3 of the f16 scale are the top nibble of the u16 word k at bytes 48..55.
void set_iq1m_scale(uint8_t* block, uint16_t h) {
  for (int k = 0; k < 4; ++k) {
    uint8_t* w = block + 48 + 2 * k;
    const uint16_t word = static_cast<uint16_t>(w[0] | (w[1] << 8));
    put_u16(w, static_cast<uint16_t>((word & 0x0FFF) | (((h >> (4 * k)) & 0xF) << 12)));
  }
}

// n_blocks random blocks of `type`: random bytes, with sane scales for the block types. Plain
// dtypes keep every bit pattern (NaN, Inf and subnormals included): they have no ISA kernels,
// so even NaN payloads must match exactly.
std::vector<uint8_t> random_tensor_bytes(DType type, uint64_t n_blocks, std::mt19937_64& rng) {
  const DTypeInfo& info = *dtype_info(static_cast<uint32_t>(type));
  std::vector<uint8_t> raw(n_blocks * info.block_bytes);
  for (auto& b : raw) b = static_cast<uint8_t>(rng());
  const auto it = f16_fields().find(type);
  if (it == f16_fields().end()) return raw;
  for (uint64_t i = 0; i < n_blocks; ++i) {
    uint8_t* block = raw.data() + i * info.block_bytes;
    for (size_t at : it->second) put_u16(block + at, sane_half(rng));
    if (type == DType::IQ1_M) set_iq1m_scale(block, sane_half(rng));
    if (type == DType::MXFP4 && block[0] == 0xFF) block[0] = 0x7F;
  }
  return raw;
}

// Every dtype kernels::dequantize accepts (the plain dtypes and the implemented block types).
std::vector<DType> dequantizable_types() {
  std::vector<DType> out;
  for (uint32_t id = 0; id < 200; ++id)
    if (dtype_info(id) != nullptr && can_dequantize(static_cast<DType>(id)))
      out.push_back(static_cast<DType>(id));
  return out;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Index of the first value whose bits differ, two NaNs counting as equal; -1 when none.
int64_t first_difference_nan_free(const std::vector<float>& a, const std::vector<float>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return static_cast<int64_t>(i);
  }
  return -1;
}

std::vector<Isa> isas_to_test() {
  std::vector<Isa> isas = {Isa::Scalar};
  if (cpu_has_avx2())
    isas.push_back(Isa::Avx2);
  else
    WARN("this CPU has no AVX2/FMA/F16C: threaded dequantization is tested under scalar only");
  return isas;
}

}  // namespace

TEST_CASE("split_range: contiguous, complete, near-equal ranges", "[threads]") {
  for (uint64_t n : {0ull, 1ull, 2ull, 7ull, 64ull, 1000ull, 1ull << 20, (1ull << 20) + 13}) {
    for (unsigned parts : {1u, 2u, 3u, 4u, 7u, 16u, 256u}) {
      INFO("n " << n << ", parts " << parts);
      uint64_t expect_begin = 0, smallest = UINT64_MAX, largest = 0;
      for (unsigned i = 0; i < parts; ++i) {
        const Range r = split_range(n, parts, i);
        REQUIRE(r.begin == expect_begin);
        REQUIRE(r.end >= r.begin);
        smallest = std::min(smallest, r.end - r.begin);
        largest = std::max(largest, r.end - r.begin);
        // The larger ranges come first.
        if (i > 0) {
          const Range prev = split_range(n, parts, i - 1);
          CHECK(prev.end - prev.begin >= r.end - r.begin);
        }
        expect_begin = r.end;
      }
      CHECK(expect_begin == n);
      CHECK(largest - smallest <= 1);
    }
  }
}

TEST_CASE("run_split: every unit once, one thread per range, range 0 on the caller", "[threads]") {
  const std::thread::id caller = std::this_thread::get_id();
  for (unsigned parts : {1u, 2u, 3u, 5u, 8u}) {
    const uint64_t n = 1000 + parts;  // not a multiple of parts
    std::vector<std::atomic<int>> hits(n);
    std::mutex mu;
    std::map<uint64_t, std::thread::id> thread_of_range;  // keyed by range begin
    run_split(n, parts, [&](Range r) {
      for (uint64_t i = r.begin; i < r.end; ++i) hits[i].fetch_add(1);
      std::lock_guard<std::mutex> lock(mu);
      thread_of_range[r.begin] = std::this_thread::get_id();
    });
    INFO("parts " << parts);
    for (uint64_t i = 0; i < n; ++i) REQUIRE(hits[i].load() == 1);
    REQUIRE(thread_of_range.size() == parts);
    CHECK(thread_of_range.at(0) == caller);
    std::set<std::thread::id> distinct;
    for (const auto& [begin, id] : thread_of_range) distinct.insert(id);
    // Every range ran on a thread of its own (the system refusing threads would break this,
    // which a test machine does not do for 8 threads).
    CHECK(distinct.size() == parts);
  }
}

TEST_CASE("run_split: exceptions from workers reach the caller after every range ran",
          "[threads]") {
  const uint64_t n = 4096;
  const unsigned parts = 4;

  SECTION("an mwt error from one worker keeps its code and message") {
    std::vector<std::atomic<int>> hits(n);
    const Range failing = split_range(n, parts, 2);
    try {
      run_split(n, parts, [&](Range r) {
        for (uint64_t i = r.begin; i < r.end; ++i) hits[i].fetch_add(1);
        if (r.begin == failing.begin) fail(Code::SIZE_MISMATCH, "worker 2 failed");
      });
      FAIL("run_split did not rethrow");
    } catch (const Error& e) {
      CHECK(e.code() == Code::SIZE_MISMATCH);
      CHECK(std::string(e.what()).find("worker 2 failed") != std::string::npos);
    }
    for (uint64_t i = 0; i < n; ++i) REQUIRE(hits[i].load() == 1);
  }

  SECTION("with several failing ranges the lowest-numbered one's exception is rethrown") {
    const Range r1 = split_range(n, parts, 1), r3 = split_range(n, parts, 3);
    try {
      run_split(n, parts, [&](Range r) {
        if (r.begin == r3.begin) throw std::runtime_error("range 3");
        if (r.begin == r1.begin) fail(Code::BAD_SHAPE, "range 1");
      });
      FAIL("run_split did not rethrow");
    } catch (const Error& e) {
      CHECK(e.code() == Code::BAD_SHAPE);
    }
  }

  SECTION("a failure on the caller's range (0) and a non-mwt exception type") {
    CHECK_THROWS_AS(run_split(n, parts,
                              [&](Range r) {
                                if (r.begin == 0) throw std::length_error("range 0");
                              }),
                    std::length_error);
    CHECK_THROWS_AS(run_split(n, 1, [](Range) { throw std::bad_alloc(); }), std::bad_alloc);
  }
}

TEST_CASE("select_thread_count: the MWT_NUM_THREADS rule", "[threads]") {
  CHECK(select_thread_count(nullptr, 8) == 8);
  CHECK(select_thread_count("", 8) == 8);
  CHECK(select_thread_count(nullptr, 0) == 1);  // unknown CPU count
  CHECK(select_thread_count(nullptr, 100000) == kMaxThreads);
  CHECK(select_thread_count("1", 8) == 1);
  CHECK(select_thread_count("3", 8) == 3);
  CHECK(select_thread_count("16", 2) == 16);  // more than the CPUs is allowed
  CHECK(select_thread_count("007", 2) == 7);
  CHECK(select_thread_count("99999999999999999999999", 2) == kMaxThreads);
  for (const char* bad : {"0", "-2", "+2", " 2", "2 ", "two", "2.5", "0x10", "00"})
    CHECK(select_thread_count(bad, 6) == 6);
  CHECK(cpu_thread_count() >= 1);
  CHECK(default_thread_count() >= 1);
  CHECK(default_thread_count() <= kMaxThreads);
}

TEST_CASE("dequant_thread_count: a minimum of work per thread", "[threads]") {
  using kernels::dequant_thread_count;
  const uint64_t m = kMinValuesPerThread;
  // Below two threads' worth of values everything stays on one thread.
  CHECK(dequant_thread_count(0, 0, 8) == 1);
  CHECK(dequant_thread_count(1, 1, 8) == 1);
  CHECK(dequant_thread_count(m, m / 32, 8) == 1);
  CHECK(dequant_thread_count(2 * m - 32, (2 * m - 32) / 32, 8) == 1);
  CHECK(dequant_thread_count(2 * m, 2 * m / 32, 8) == 2);
  CHECK(dequant_thread_count(5 * m + 256, (5 * m + 256) / 256, 8) == 5);
  CHECK(dequant_thread_count(100 * m, 100 * m, 8) == 8);
  // Asked for 1: the caller's thread only, however large.
  CHECK(dequant_thread_count(100 * m, 100 * m, 1) == 1);
  // Never more threads than blocks.
  CHECK(dequant_thread_count(100 * m, 3, 8) == 3);
  // 0 = the process default, within the work limit.
  const unsigned d = default_thread_count();
  CHECK(dequant_thread_count(1000 * m, 1000 * m, 0) == std::min<uint64_t>(d, 1000));
  CHECK(dequant_thread_count(m, m, 0) == 1);
  // Absurd requests are clamped.
  CHECK(dequant_thread_count(UINT64_MAX, UINT64_MAX, 1u << 30) == kMaxThreads);
}

TEST_CASE("split dequantize is bit-identical to one thread, every dtype, ISA and split",
          "[threads]") {
  std::mt19937_64 rng(20240611);
  const std::vector<DType> types = dequantizable_types();
  REQUIRE(types.size() > 30);  // the plain dtypes and the ggml block types
  for (const Isa isa : isas_to_test()) {
    for (const DType type : types) {
      const DTypeInfo& info = *dtype_info(static_cast<uint32_t>(type));
      // Block counts that 2, 3, 4, 7 and 16 threads cannot share evenly, and fewer blocks than
      // threads (some threads then get none).
      for (const uint64_t n_blocks : {1ull, 2ull, 5ull, 13ull, 67ull, 1001ull}) {
        const uint64_t n = n_blocks * info.block_elems;
        INFO(isa_name(isa) << " " << info.name << ", " << n_blocks << " blocks");
        const std::vector<uint8_t> raw = random_tensor_bytes(type, n_blocks, rng);
        std::vector<float> single(n, -1.0f);
        kernels::dequantize_with_isa(isa, type, raw.data(), raw.size(), single.data(), n, 1);
        // The ISA agrees with the scalar reference (only NaN payloads may differ between ISAs).
        if (isa != Isa::Scalar) {
          std::vector<float> ref(n, -2.0f);
          dequantize_scalar(type, raw.data(), raw.size(), ref.data(), n);
          REQUIRE(first_difference_nan_free(single, ref) == -1);
        }
        for (const unsigned parts : {2u, 3u, 4u, 7u, 16u}) {
          INFO(parts << " parts");
          std::vector<float> multi(n, -3.0f);
          kernels::dequantize_split(isa, type, raw.data(), raw.size(), multi.data(), n, parts);
          REQUIRE(same_bits(single, multi));
        }
      }
    }
  }
}

TEST_CASE("threaded dequantize around the threshold: planned thread counts, same bits",
          "[threads]") {
  std::mt19937_64 rng(99);
  // A fast AVX2 kernel, a K-quant, a grid type, and plain dtypes of 1, 2 and 8 bytes.
  const DType types[] = {DType::Q8_0, DType::Q4_K, DType::IQ2_XXS,
                         DType::I8,   DType::F16,  DType::F64};
  for (const Isa isa : isas_to_test()) {
    for (const DType type : types) {
      const DTypeInfo& info = *dtype_info(static_cast<uint32_t>(type));
      const uint64_t b = info.block_elems, per_thread_blocks = kMinValuesPerThread / b;
      // One block short of two threads' worth (one thread by the rule), exactly two threads'
      // worth, and an odd block count over three threads.
      for (const uint64_t n_blocks :
           {2 * per_thread_blocks - 1, 2 * per_thread_blocks, 3 * per_thread_blocks + 7}) {
        const uint64_t n = n_blocks * b;
        INFO(isa_name(isa) << " " << info.name << ", " << n_blocks << " blocks");
        const std::vector<uint8_t> raw = random_tensor_bytes(type, n_blocks, rng);
        std::vector<float> single(n, -1.0f);
        kernels::dequantize_with_isa(isa, type, raw.data(), raw.size(), single.data(), n, 1);
        for (const unsigned threads : {2u, 4u, 0u}) {
          const unsigned used = kernels::dequant_thread_count(n, n_blocks, threads);
          INFO("n_threads " << threads << " (runs on " << used << ")");
          CHECK(used == std::min<uint64_t>(threads == 0 ? default_thread_count() : threads,
                                           n / kMinValuesPerThread));
          std::vector<float> multi(n, -3.0f);
          kernels::dequantize_with_isa(isa, type, raw.data(), raw.size(), multi.data(), n, threads);
          REQUIRE(same_bits(single, multi));
        }
      }
    }
  }
}

TEST_CASE("threaded dequantize refuses bad arguments before starting threads", "[threads]") {
  const uint64_t n = 4 * kMinValuesPerThread;  // large enough for 4 threads
  std::vector<uint8_t> raw(n / 32 * 34, 0);
  std::vector<float> out(n, 7.0f);
  const auto untouched = [&] {
    for (float v : out)
      if (v != 7.0f) return false;
    return true;
  };
  CHECK(code_of([&] {
          kernels::dequantize(DType::Q8_0, raw.data(), raw.size(), out.data(), n - 1, 4);
        }) == Code::BAD_SHAPE);
  CHECK(code_of([&] {
          kernels::dequantize(DType::Q8_0, raw.data(), raw.size() - 1, out.data(), n, 4);
        }) == Code::SIZE_MISMATCH);
  CHECK(code_of([&] {
          kernels::dequantize(static_cast<DType>(4), raw.data(), raw.size(), out.data(), n, 4);
        }) == Code::BAD_DTYPE);
  CHECK(code_of([&] {
          kernels::dequantize(DType::Q8_1, raw.data(), raw.size(), out.data(), n, 4);
        }) == Code::UNSUPPORTED_FEATURE);
  CHECK(untouched());
  // Zero values: nothing to do, null buffers allowed.
  CHECK(code_of([&] { kernels::dequantize(DType::Q8_0, nullptr, 0, nullptr, 0, 4); }) == Code::OK);
}

TEST_CASE("mwt_dequantize_threads: the C ABI entry point", "[threads][capi]") {
  std::mt19937_64 rng(7);
  const uint64_t n_blocks = 3 * kMinValuesPerThread / 256 + 5;
  const size_t n = n_blocks * 256;
  const std::vector<uint8_t> raw = random_tensor_bytes(DType::Q4_K, n_blocks, rng);
  std::vector<float> a(n, -1.0f), b(n, -2.0f), c(n, -3.0f);
  REQUIRE(mwt_dequantize(MWT_DTYPE_Q4_K, raw.data(), raw.size(), a.data(), n) == nullptr);
  REQUIRE(mwt_dequantize_threads(MWT_DTYPE_Q4_K, raw.data(), raw.size(), b.data(), n, 1) ==
          nullptr);
  REQUIRE(mwt_dequantize_threads(MWT_DTYPE_Q4_K, raw.data(), raw.size(), c.data(), n, 3) ==
          nullptr);
  CHECK(same_bits(a, b));
  CHECK(same_bits(a, c));
  REQUIRE(mwt_dequantize_threads(MWT_DTYPE_Q4_K, raw.data(), raw.size(), c.data(), n, 0) ==
          nullptr);
  CHECK(same_bits(a, c));

  const auto code = [](mwt_status* s) {
    const mwt_code c = mwt_status_code(s);
    mwt_status_free(s);
    return c;
  };
  CHECK(code(mwt_dequantize_threads(MWT_DTYPE_Q4_K, raw.data(), raw.size(), c.data(), n, -1)) ==
        MWT_E_ARGUMENT);
  CHECK(code(mwt_dequantize_threads(MWT_DTYPE_Q4_K, nullptr, raw.size(), c.data(), n, 2)) ==
        MWT_E_ARGUMENT);
  CHECK(code(mwt_dequantize_threads(MWT_DTYPE_Q4_K, raw.data(), raw.size(), c.data(), n - 1, 2)) ==
        MWT_E_BAD_SHAPE);
  CHECK(code(mwt_dequantize_threads((mwt_dtype)4, raw.data(), raw.size(), c.data(), n, 2)) ==
        MWT_E_BAD_DTYPE);

  // Overlapping buffers are refused, by both entry points; adjacent ones are fine.
  std::vector<float> buf(2 * 16, 0.0f);
  auto* bytes = reinterpret_cast<uint8_t*>(buf.data());
  std::memset(bytes, 0, 64);  // 16 F32 zeros
  CHECK(code(mwt_dequantize_threads(MWT_DTYPE_F32, bytes, 64, buf.data(), 16, 2)) ==
        MWT_E_ARGUMENT);
  CHECK(code(mwt_dequantize(MWT_DTYPE_F32, bytes + 60, 64, buf.data() + 16, 16)) == MWT_E_ARGUMENT);
  CHECK(code(mwt_dequantize(MWT_DTYPE_F32, bytes, 64, buf.data() + 16, 16)) == MWT_OK);
  CHECK(code(mwt_dequantize(MWT_DTYPE_F32, bytes + 64, 64, buf.data(), 16)) == MWT_OK);
}
