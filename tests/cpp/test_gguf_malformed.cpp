// GGUF malformed-input cases GG-01..GG-11 (docs/malformed-inputs.md): each builds its bytes
// field by field and checks the exact code, offset/field in the message, and no result.
// This file also replaces the global operator new (for the whole test binary) with a malloc
// wrapper that records the largest single request, so "nothing pre-allocated" is measured.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>

#include <catch2/catch.hpp>

#include "gguf_bytes.hpp"

namespace {
std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_largest{0};
}  // namespace

void* operator new(size_t n) {
  if (g_tracking.load(std::memory_order_relaxed)) {
    size_t cur = g_largest.load(std::memory_order_relaxed);
    while (n > cur && !g_largest.compare_exchange_weak(cur, n, std::memory_order_relaxed)) {
    }
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow form too (Catch2 registers tests with it): whatever the replaced delete frees
// must come from malloc, or ASan reports an alloc-dealloc mismatch.
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return ::operator new(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace gguf_test;

namespace {

// expect_error plus: the largest single allocation made while opening stays small (no
// allocation sized by a count or length the file merely claims).
Error expect_error_small_alloc(const std::vector<uint8_t>& bytes, Code code,
                               const OpenOptions& opts = {}) {
  g_largest = 0;
  g_tracking = true;
  Error e = expect_error(bytes, code, opts);
  g_tracking = false;
  CHECK(g_largest.load() < 64 * 1024);
  return e;
}

OpenOptions no_caps() {
  OpenOptions o;
  o.max_tensors = o.max_kv = o.max_array = o.max_string = o.max_key = UINT64_MAX;
  return o;
}

bool mentions(const Error& e, const std::string& s) {
  return std::string(e.what()).find(s) != std::string::npos;
}

// One F32 tensor "w" with GGUF dims `ne` at data offset 0, plus `data_bytes` of data.
std::vector<uint8_t> one_tensor(const std::vector<uint64_t>& ne, uint32_t type, uint64_t offset = 0,
                                uint64_t data_bytes = 0) {
  GgufBytes g;
  g.header(1, 0).tensor_info("w", ne, type, offset).pad_to(32).data(data_bytes);
  return g.b;
}

}  // namespace

TEST_CASE("GG-01 bad magic and unsupported versions", "[gguf][malformed]") {
  GgufBytes bad;
  bad.raw("GGUX").u32(3).u64(0).u64(0);
  auto e = expect_error(bad.b, Code::BAD_MAGIC);
  CHECK(e.offset() == 0);
  CHECK(e.field() == "header.magic");
  expect_error({'P', 'K'}, Code::BAD_MAGIC);  // a short file that is visibly not GGUF
  expect_error({'G', 'G'}, Code::TRUNCATED);  // a short prefix of the magic
  expect_error({}, Code::TRUNCATED);

  for (uint32_t v : {0u, 1u, 4u, 0xFFFFu}) {
    GgufBytes g;
    g.header(0, 0, v);
    e = expect_error(g.b, Code::UNSUPPORTED_VERSION);
    CHECK(e.offset() == 4);
    CHECK(e.field() == "header.version");
    if (v == 1) CHECK(mentions(e, "GGUF v1 is not supported"));
  }
  GgufBytes be;  // a v3 big-endian file: the version reads byte-swapped on a little-endian host
  be.header(0, 0, 0x03000000u);
  e = expect_error(be.b, Code::UNSUPPORTED_VERSION);
  CHECK(mentions(e, "big-endian GGUF is not supported"));
}

TEST_CASE("GG-02 huge tensor and kv counts: capped or truncated, nothing pre-allocated",
          "[gguf][malformed]") {
  for (uint64_t n :
       {uint64_t{0x1D1D1D1D1D1D1D1D}, uint64_t{UINT64_MAX}, uint64_t{(1u << 20) + 1}}) {
    GgufBytes g;
    g.header(n, 0).zeros(64);
    auto e = expect_error_small_alloc(g.b, Code::LIMIT_EXCEEDED);
    CHECK(e.field() == "header.n_tensors");
    CHECK(e.offset() == 8);
    // Without caps the same count must still be refused before any allocation.
    e = expect_error_small_alloc(g.b, Code::TRUNCATED, no_caps());
    CHECK(e.field() == "header.n_tensors");
  }
  GgufBytes kv;
  kv.header(0, 0x55555555555555aull).zeros(64);  // CVE-2024-25664's n_kv
  auto e = expect_error_small_alloc(kv.b, Code::LIMIT_EXCEEDED);
  CHECK(e.field() == "header.n_kv");
  CHECK(e.offset() == 16);
  expect_error_small_alloc(kv.b, Code::TRUNCATED, no_caps());
  // Under the default caps, but far more entries than the 40 bytes left can hold.
  GgufBytes under;
  under.header(1 << 20, 1 << 20).zeros(40);
  e = expect_error_small_alloc(under.b, Code::TRUNCATED);
  CHECK(e.field() == "header.n_kv");
  // Caps lowered by the caller apply too.
  OpenOptions small;
  small.max_kv = 2;
  GgufBytes three;
  three.header(0, 3).kv_u32("a", 1).kv_u32("b", 2).kv_u32("c", 3);
  expect_error(three.b, Code::LIMIT_EXCEEDED, small);
}

TEST_CASE("GG-03 string length 2^64-1 in a 100-byte file", "[gguf][malformed]") {
  GgufBytes key;  // as a key length
  key.header(0, 1).u64(UINT64_MAX);
  key.zeros(100 - key.size());
  auto e = expect_error_small_alloc(key.b, Code::TRUNCATED);
  CHECK(e.offset() == 24);
  CHECK(e.field() == "kv[#0].key");

  GgufBytes val;  // as a string value
  val.header(0, 1).kv("general.name", T_STRING).u64(UINT64_MAX);
  const uint64_t len_at = val.size() - 8;
  val.zeros(100 - val.size());
  e = expect_error_small_alloc(val.b, Code::TRUNCATED);
  CHECK(e.offset() == len_at);
  CHECK(e.field() == "kv[\"general.name\"].value");
  expect_error_small_alloc(val.b, Code::TRUNCATED, no_caps());

  // A length that fits the file but exceeds the caller's cap is LIMIT_EXCEEDED.
  OpenOptions o;
  o.max_string = 4;
  GgufBytes cap;
  cap.header(0, 1).kv_str("general.name", "hello");
  expect_error(cap.b, Code::LIMIT_EXCEEDED, o);
}

TEST_CASE("GG-04 array counts that overflow or exceed the file", "[gguf][malformed]") {
  // 2^61 u64 elements: count * 8 wraps to 0 in 64 bits (CVE-2024-25667's shape).
  GgufBytes wrap;
  wrap.header(0, 1).kv("a", T_ARRAY).array(T_U64, 1ull << 61).zeros(32);
  auto e = expect_error_small_alloc(wrap.b, Code::LIMIT_EXCEEDED);
  CHECK(e.field() == "kv[\"a\"].count");
  CHECK(e.offset() == 24 + 8 + 1 + 4 + 4);
  expect_error_small_alloc(wrap.b, Code::TRUNCATED, no_caps());

  // A string array with n = 2^60 (CVE-2024-25668 / -21825).
  GgufBytes strs;
  strs.header(0, 1).kv("tokenizer.ggml.tokens", T_ARRAY).array(T_STRING, 1ull << 60).zeros(32);
  e = expect_error_small_alloc(strs.b, Code::LIMIT_EXCEEDED);
  CHECK(e.field() == "kv[\"tokenizer.ggml.tokens\"].count");
  e = expect_error_small_alloc(strs.b, Code::TRUNCATED, no_caps());
  CHECK(e.field() == "kv[\"tokenizer.ggml.tokens\"].count");

  // Under the cap but more elements than bytes: refused before reserving.
  GgufBytes few;
  few.header(0, 1).kv("a", T_ARRAY).array(T_U32, 1000).u32(1).u32(2);
  expect_error_small_alloc(few.b, Code::TRUNCATED);
  GgufBytes few_strs;
  few_strs.header(0, 1).kv("a", T_ARRAY).array(T_STRING, 100000).str("x").str("y");
  expect_error_small_alloc(few_strs.b, Code::TRUNCATED);
  // An element string running past the end names its index.
  GgufBytes elem;
  elem.header(0, 1).kv("a", T_ARRAY).array(T_STRING, 2).str("x").u64(1000).zeros(8);
  e = expect_error(elem.b, Code::TRUNCATED);
  CHECK(e.field() == "kv[\"a\"].value[1]");
}

TEST_CASE("GG-05 bad value types, nested arrays and non-0/1 BOOL", "[gguf][malformed]") {
  for (uint32_t t : {13u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
    GgufBytes g;
    g.header(0, 1).kv("k", t).u64(0);
    auto e = expect_error(g.b, Code::BAD_DTYPE);
    CHECK(e.field() == "kv[\"k\"].type");
    CHECK(e.offset() == 24 + 8 + 1);
    GgufBytes a;
    a.header(0, 1).kv("k", T_ARRAY).array(t, 1).u64(0);
    e = expect_error(a.b, Code::BAD_DTYPE);
    CHECK(e.field() == "kv[\"k\"].elem_type");
  }
  GgufBytes nested;
  nested.header(0, 1).kv("k", T_ARRAY).array(T_ARRAY, 1).array(T_U8, 1).u8(1);
  auto e = expect_error(nested.b, Code::UNSUPPORTED_FEATURE);
  CHECK(e.field() == "kv[\"k\"].elem_type");

  GgufBytes b7;
  b7.header(0, 1).kv("flag", T_BOOL).u8(7);
  e = expect_error(b7.b, Code::BAD_DTYPE);
  CHECK(e.offset() == b7.size() - 1);
  OpenOptions lax;
  lax.gguf_strict_bool = false;
  auto wf = open_bytes(b7.b, lax);
  CHECK(wf->metadata[0].value.scalar_bits == 1);  // accepted as true, as ggml does

  GgufBytes arr;
  arr.header(0, 1).kv("flags", T_ARRAY).array(T_BOOL, 3).u8(0).u8(1).u8(2);
  e = expect_error(arr.b, Code::BAD_DTYPE);
  CHECK(e.field() == "kv[\"flags\"].value[2]");
  CHECK(e.offset() == arr.size() - 1);
  CHECK(open_bytes(arr.b, lax)->metadata[0].value.count == 3);
}

TEST_CASE("GG-06 duplicate and empty keys, duplicate and over-long tensor names",
          "[gguf][malformed]") {
  GgufBytes dup;
  dup.header(0, 2).kv_u32("a.b", 1);
  const uint64_t second_at = dup.size();
  dup.kv_u32("a.b", 2);
  auto e = expect_error(dup.b, Code::DUPLICATE);
  CHECK(e.offset() == second_at);
  CHECK(e.field() == "kv[\"a.b\"].key");
  CHECK(mentions(e, "first defined at offset 24"));

  GgufBytes empty;
  empty.header(0, 1).kv_u32("", 1);
  e = expect_error(empty.b, Code::BAD_SYNTAX);
  CHECK(e.field() == "kv[#0].key");

  GgufBytes tdup;
  tdup.header(2, 0).tensor_info("w", {4}, 0, 0);
  const uint64_t t2_at = tdup.size();
  tdup.tensor_info("w", {4}, 0, 32).pad_to(32).data(48);
  e = expect_error(tdup.b, Code::DUPLICATE);
  CHECK(e.offset() == t2_at);
  CHECK(e.field() == "tensors[\"w\"].name");

  const std::string n64(64, 'x'), n63(63, 'x');
  GgufBytes longname;
  longname.header(1, 0).tensor_info(n64, {4}, 0, 0).pad_to(32).data(16);
  e = expect_error(longname.b, Code::BAD_SYNTAX);
  CHECK(e.field() == "tensors[#0].name");
  CHECK(mentions(e, "64 bytes"));
  GgufBytes ok;
  ok.header(1, 0).tensor_info(n63, {4}, 0, 0).pad_to(32).data(16);
  CHECK(open_bytes(ok.b)->tensors[0].name == n63);

  GgufBytes noname;
  noname.header(1, 0).tensor_info("", {4}, 0, 0).pad_to(32).data(16);
  expect_error(noname.b, Code::BAD_SYNTAX);
}

TEST_CASE("GG-07 bad n_dims and negative dims, while a zero dim is an empty tensor",
          "[gguf][malformed]") {
  for (uint32_t nd : {5u, 0xFFFFFFFFu}) {
    GgufBytes g;
    g.header(1, 0).str("w").u32(nd).zeros(64);
    auto e = expect_error_small_alloc(g.b, Code::BAD_SHAPE);
    CHECK(e.field() == "tensors[\"w\"].n_dims");
    CHECK(e.offset() == 24 + 8 + 1);
  }
  for (uint64_t d : {uint64_t{1} << 63, uint64_t{UINT64_MAX}}) {
    auto e = expect_error(one_tensor({4, d}, 0), Code::BAD_SHAPE);
    CHECK(e.field() == "tensors[\"w\"].dims[1]");
    CHECK(e.offset() == 24 + 8 + 1 + 4 + 8);
  }
  auto wf = open_bytes(one_tensor({4, 0}, 0));
  REQUIRE(wf->tensors.size() == 1);
  CHECK(wf->tensors[0].shape == std::vector<uint64_t>{0, 4});
  CHECK(wf->tensors[0].numel == 0);
  CHECK(wf->tensors[0].nbytes == 0);
  CHECK(wf->tensors[0].data == nullptr);
  // Zero elements: the other dims may be huge without an overflow (ggml's old SIGFPE case).
  wf = open_bytes(one_tensor({0, 1ull << 62, 1ull << 62}, 0));
  CHECK(wf->tensors[0].numel == 0);
}

TEST_CASE("GG-08 element count, byte size and padding overflows", "[gguf][malformed]") {
  auto e = expect_error(one_tensor({1ull << 32, 1ull << 32}, 0), Code::OVERFLOW);  // 2^64
  CHECK(e.field() == "tensors[\"w\"].dims");
  expect_error(one_tensor({1ull << 31, 1ull << 32}, 0), Code::OVERFLOW);  // 2^63 > INT64_MAX
  // Quantized: Q8_K (256 elements -> 292 bytes), 2^64-256 elements.
  expect_error(one_tensor({256, (1ull << 56) - 1}, 15), Code::OVERFLOW);
  // Element count fits int64 but the byte size does not: F64 x 2^62.
  e = expect_error(one_tensor({1ull << 62}, 28), Code::OVERFLOW);
  CHECK(e.field() == "tensors[\"w\"].nbytes");
  // F32 x (2^62-1) = 2^64-4 bytes: fits, but padding to 32 would wrap to 0.
  e = expect_error(one_tensor({(1ull << 62) - 1}, 0), Code::OVERFLOW);
  CHECK(e.field() == "tensors[\"w\"].nbytes");
}

TEST_CASE("GG-09 invalid or removed ggml types and partial blocks", "[gguf][malformed]") {
  for (uint32_t t : {43u, 44u, 100u, 0xFFFFFFFFu, 4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u}) {
    auto bytes = one_tensor({32}, t, 0, 128);
    auto e = expect_error(bytes, Code::BAD_DTYPE);
    CHECK(e.field() == "tensors[\"w\"].type");
    CHECK(e.offset() == 24 + 8 + 1 + 4 + 8);
  }
  auto e = expect_error(one_tensor({33}, 2, 0, 64), Code::BAD_SHAPE);  // Q4_0 blocks of 32
  CHECK(e.field() == "tensors[\"w\"].dims[0]");
  // 256 Q4_K elements in total, but the innermost row of 128 is half a block.
  expect_error(one_tensor({128, 2}, 12, 0, 144), Code::BAD_SHAPE);
  GgufBytes scalar_q;  // rank 0 is one element: never a whole Q4_0 block
  scalar_q.header(1, 0).tensor_info("w", {}, 2, 0).pad_to(32).data(18);
  expect_error(scalar_q.b, Code::BAD_SHAPE);
}

TEST_CASE("GG-10 bad general.alignment values and types", "[gguf][malformed]") {
  for (uint32_t a : {0u, 13u, 1u << 31, 3u, 131072u}) {
    GgufBytes g;
    g.header(0, 1).kv_u32("general.alignment", a);
    auto e = expect_error(g.b, Code::BAD_ALIGNMENT);
    CHECK(e.field() == "kv[\"general.alignment\"].value");
    CHECK(e.offset() == g.size() - 4);
  }
  GgufBytes i32;
  i32.header(0, 1).kv("general.alignment", T_I32).u32(32);
  auto e = expect_error(i32.b, Code::BAD_ALIGNMENT);
  CHECK(e.field() == "kv[\"general.alignment\"].type");
  CHECK(mentions(e, "INT32"));
  GgufBytes str;
  str.header(0, 1).kv_str("general.alignment", "32");
  expect_error(str.b, Code::BAD_ALIGNMENT);
  GgufBytes u64;
  u64.header(0, 1).kv("general.alignment", T_U64).u64(32);
  expect_error(u64.b, Code::BAD_ALIGNMENT);
}

TEST_CASE("GG-11 misaligned, unordered, overlapping and out-of-bounds tensor data",
          "[gguf][malformed]") {
  auto e = expect_error(one_tensor({4}, 0, 16, 64), Code::BAD_OFFSETS);  // alignment 32
  CHECK(e.field() == "tensors[\"w\"].offset");
  CHECK(e.offset() == 24 + 8 + 1 + 4 + 8 + 4);
  expect_error(one_tensor({4}, 0, UINT64_MAX, 64), Code::BAD_OFFSETS);

  GgufBytes order;  // second tensor's data before the first's
  order.header(2, 0).tensor_info("a", {8}, 0, 32).tensor_info("b", {8}, 0, 0).pad_to(32).data(64);
  e = expect_error(order.b, Code::BAD_OFFSETS);
  CHECK(e.field() == "tensors[\"b\"].offset");

  GgufBytes overlap;  // a: [0, 64), b starts at 32
  overlap.header(2, 0).tensor_info("a", {16}, 0, 0).tensor_info("b", {8}, 0, 32).pad_to(32);
  overlap.data(96);
  e = expect_error(overlap.b, Code::BAD_OFFSETS);
  CHECK(e.field() == "tensors[\"b\"].offset");

  GgufBytes many;  // 10000 tensors all at offset 0: rejected at the second, in linear time
  many.header(10000, 0);
  for (int i = 0; i < 10000; ++i) many.tensor_info("t" + std::to_string(i), {4}, 0, 0);
  many.pad_to(32).data(16);
  e = expect_error(many.b, Code::BAD_OFFSETS);
  CHECK(e.field() == "tensors[\"t1\"].offset");

  e = expect_error(one_tensor({16}, 0, 0, 32), Code::OUT_OF_BOUNDS);  // 64 bytes, 32 present
  CHECK(e.field() == "tensors[\"w\"].offset");
  CHECK(mentions(e, "past the end of the file"));
  // data_start + offset wraps (the offset alone, plus nbytes, still fits in 64 bits).
  expect_error(one_tensor({4}, 0, UINT64_MAX - 31, 16), Code::OUT_OF_BOUNDS);
  // offset + nbytes wraps.
  expect_error(one_tensor({16}, 0, UINT64_MAX - 31, 16), Code::OUT_OF_BOUNDS);

  // A gap is legal GGUF: a warning, or BAD_OFFSETS under gguf.contiguous (ggml's rule).
  GgufBytes gap;
  gap.header(2, 0).tensor_info("a", {4}, 0, 0).tensor_info("b", {4}, 0, 64).pad_to(32).data(96);
  auto wf = open_bytes(gap.b);
  REQUIRE(wf->warnings.size() == 1);
  CHECK(wf->warnings[0].find("non-contiguous layout") != std::string::npos);
  CHECK(wf->warnings[0].find("tensors[\"b\"]") != std::string::npos);
  OpenOptions strict;
  strict.gguf_contiguous = true;
  e = expect_error(gap.b, Code::BAD_OFFSETS, strict);
  CHECK(mentions(e, "expected 32"));
  auto lead = one_tensor({4}, 0, 32, 64);  // a gap before the first tensor
  CHECK(open_bytes(lead)->warnings.size() == 1);
  expect_error(lead, Code::BAD_OFFSETS, strict);
}

TEST_CASE("malformed inputs fail fast (linear time)", "[gguf][malformed]") {
  // 100k duplicate-free keys then one duplicate of the first: hash sets, not pairwise scans.
  GgufBytes g;
  const int n = 100000;
  g.header(0, n + 1);
  for (int i = 0; i < n; ++i) g.kv("k" + std::to_string(i), T_U8).u8(0);
  g.kv("k0", T_U8).u8(0);
  const auto t0 = std::chrono::steady_clock::now();
  expect_error(g.b, Code::DUPLICATE);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(s < 2.0);  // quadratic detection would take minutes here, even in a release build
}
