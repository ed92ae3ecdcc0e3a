// safetensors malformed-input cases ST-01..ST-05 (docs/malformed-inputs.md; ST-06..ST-10 are in
// test_safetensors_malformed_layout.cpp). Each case builds
// its bytes piece by piece and checks the exact code, the offset and field named in the message,
// and that no result came back; each family also opens a nearby valid file, so no case can pass
// because everything fails.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "st_bytes.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define ST_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ST_TEST_ASAN 1
#endif
#endif

#ifdef ST_TEST_ASAN
// Declared here because GCC ships no sanitizer/allocator_interface.h; libasan exports it.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             size_t),
                                                         void (*free_hook)(const volatile void*));
#endif

using namespace st_test;

namespace {

// Largest single heap allocation while tracking is on. Only the sanitizer build can see every
// malloc (through ASan's hook); elsewhere it reports 0 and the huge-N cases below stand in: an
// allocation sized by such an N could not succeed and would surface as bad_alloc, not an Error.
std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_largest{0};

#ifdef ST_TEST_ASAN
void on_malloc(const volatile void*, size_t n) {
  if (!g_tracking.load(std::memory_order_relaxed)) return;
  size_t cur = g_largest.load(std::memory_order_relaxed);
  while (n > cur && !g_largest.compare_exchange_weak(cur, n, std::memory_order_relaxed)) {
  }
}
void on_free(const volatile void*) {}
const int g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
#endif

// expect_error plus: the largest single allocation the reader makes stays small (nothing sized
// by a length the file merely claims).
Error expect_error_small_alloc(const std::vector<uint8_t>& bytes, Code code,
                               const OpenOptions& opts = {}) {
  g_largest = 0;
  Error e = expect_error_around(
      bytes, code, opts, [] { g_tracking = true; }, [] { g_tracking = false; });
  CHECK(g_largest.load() < 64 * 1024);
  return e;
}

}  // namespace

// ---------------------------------------------------------------------------------- ST-01

TEST_CASE("ST-01 baseline: an 8-byte length of 2 and the header {} is a valid empty file",
          "[safetensors][malformed]") {
  const auto wf = open_bytes(file_bytes("{}"));
  CHECK(wf->tensors.empty());
  CHECK(wf->data_offset == 10);
}

TEST_CASE("ST-01 a file of 0 to 7 bytes is TRUNCATED at offset 0 in header.length",
          "[safetensors][malformed]") {
  const std::vector<uint8_t> valid = file_bytes(one_f32(), 8);
  REQUIRE_NOTHROW(open_bytes(valid));
  for (size_t len = 0; len < 8; ++len) {
    INFO("length " << len);
    // Both a prefix of a real file and arbitrary bytes of that length.
    const std::vector<uint8_t> prefix(valid.begin(), valid.begin() + static_cast<long>(len));
    auto e = expect_error(prefix, Code::TRUNCATED);
    CHECK(e.offset() == 0);
    CHECK(e.field() == "header.length");
    CHECK(mentions(e, "file is " + std::to_string(len) + " bytes"));
    expect_error(std::vector<uint8_t>(len, 0xFF), Code::TRUNCATED);
  }
}

TEST_CASE("ST-01 a 0-7 byte file on disk is TRUNCATED through open_weight_file too",
          "[safetensors][malformed]") {
  TempDir dir;
  const std::vector<uint8_t> valid = file_bytes(one_f32(), 8);
  dir.write("ok.safetensors", valid);
  REQUIRE(open_weight_file(dir / "ok.safetensors", {})->tensors.size() == 1);
  for (size_t len = 0; len < 8; ++len) {
    INFO("length " << len);
    const std::string path = dir / ("short" + std::to_string(len) + ".safetensors");
    dir.write("short" + std::to_string(len) + ".safetensors",
              std::vector<uint8_t>(valid.begin(), valid.begin() + static_cast<long>(len)));
    try {
      open_weight_file(path, {});
      FAIL("a " << len << "-byte file opened");
    } catch (const Error& e) {
      INFO(e.what());
      CHECK(e.code() == Code::TRUNCATED);
    }
  }
}

// ---------------------------------------------------------------------------------- ST-02

TEST_CASE(
    "ST-02 baseline: N equal to the bytes after the length opens, and N = limit is not too large",
    "[safetensors][malformed]") {
  REQUIRE_NOTHROW(open_bytes(file_bytes("{}")));
  // N exactly at limits.max_header passes the size cap and then fails only on the file size.
  auto e = expect_error_small_alloc(StBytes().u64(100000000).raw("{}").b, Code::TRUNCATED);
  CHECK(e.field() == "header.length");
}

#ifdef ST_TEST_ASAN
TEST_CASE("ST-02 the allocation tracker sees the reader's allocations (sanitizer build)",
          "[safetensors][malformed]") {
  REQUIRE(g_hooks_installed > 0);
  // A valid file with a 256 KiB metadata value, which the reader copies (JSON text, decoded value).
  const std::string h = object({"\"__metadata__\":{\"k\":\"" + std::string(256 * 1024, 'v') + "\"}",
                                entry("w", "F32", {2}, 0, 8)});
  const std::vector<uint8_t> f = file_bytes(h, 8);
  auto mf = MappedFile::from_bytes(f, "big.safetensors");
  g_largest = 0;
  g_tracking = true;
  auto wf = read_safetensors(mf, {});
  g_tracking = false;
  CHECK(wf->tensors.size() == 1);
  CHECK(g_largest.load() >= 256 * 1024);
}
#endif

TEST_CASE("ST-02 N = 2^64-1 is HEADER_TOO_LARGE with no allocation of size N",
          "[safetensors][malformed]") {
  auto e = expect_error_small_alloc(StBytes().u64(UINT64_MAX).raw("{}").b, Code::HEADER_TOO_LARGE);
  CHECK(e.offset() == 0);
  CHECK(e.field() == "header.length");
  CHECK(mentions(e, std::to_string(UINT64_MAX)));
  CHECK(mentions(e, "limits.max_header (100000000)"));
}

TEST_CASE("ST-02 N = 100 000 001 is HEADER_TOO_LARGE with no allocation of size N",
          "[safetensors][malformed]") {
  auto e = expect_error_small_alloc(StBytes().u64(100000001).raw("{}").b, Code::HEADER_TOO_LARGE);
  CHECK(e.offset() == 0);
  CHECK(e.field() == "header.length");
  CHECK(mentions(e, "100000001"));
}

TEST_CASE("ST-02 N = file length (header reaches past EOF) is TRUNCATED",
          "[safetensors][malformed]") {
  std::vector<uint8_t> f = file_bytes(one_f32(), 8);
  const uint64_t len = f.size();
  std::memcpy(f.data(), &len, 8);
  auto e = expect_error_small_alloc(f, Code::TRUNCATED);
  CHECK(e.offset() == 0);
  CHECK(e.field() == "header.length");
  CHECK(mentions(e, "header of " + std::to_string(len) + " bytes runs past the end of the file (" +
                        std::to_string(len) + " bytes)"));
  // One byte past EOF is enough; one byte short of it is a different (header) problem.
  const uint64_t over = len - 8 + 1;
  std::memcpy(f.data(), &over, 8);
  expect_error(f, Code::TRUNCATED);
}

TEST_CASE("ST-02 with the header cap lifted a huge N is still TRUNCATED and never allocated",
          "[safetensors][malformed]") {
  OpenOptions o;
  o.max_header = UINT64_MAX;
  for (uint64_t n : {UINT64_MAX, uint64_t{1} << 62, uint64_t{1} << 40}) {
    INFO("N = " << n);
    auto e = expect_error_small_alloc(StBytes().u64(n).raw("{}").b, Code::TRUNCATED, o);
    CHECK(e.field() == "header.length");
  }
}

// ---------------------------------------------------------------------------------- ST-03

TEST_CASE("ST-03 baseline: UTF-8 text, and JSON whitespace around the object, open",
          "[safetensors][malformed]") {
  const std::string h = "{\"__metadata__\":{\"k\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}}";
  auto wf = open_bytes(file_bytes(h));
  REQUIRE(wf->metadata.size() == 1);
  CHECK(wf->metadata[0].value.str == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  REQUIRE_NOTHROW(open_bytes(file_bytes(" \t\r\n{}")));
  REQUIRE_NOTHROW(open_bytes(file_bytes("{} \t\r\n")));
  REQUIRE_NOTHROW(open_bytes(file_bytes(" \n" + one_f32() + "\r\n  ", 8)));
}

TEST_CASE("ST-03 a header that is not UTF-8 is BAD_ENCODING at the first bad byte",
          "[safetensors][malformed]") {
  struct Case {
    const char* what;
    std::string bad;
  };
  const Case cases[] = {
      {"a lone 0xFF", "\xff"},
      {"a lone continuation byte", "\x80"},
      {"an overlong '/'", "\xc0\xaf"},
      {"a UTF-16 surrogate", "\xed\xa0\x80"},
      {"a code point above U+10FFFF", "\xf4\x90\x80\x80"},
      {"a truncated sequence", "\xe2\x82"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    // In a metadata value and in a tensor name.
    const std::string in_value = "{\"__metadata__\":{\"k\":\"ab" + c.bad + "\"}}";
    auto e = expect_error(file_bytes(in_value), Code::BAD_ENCODING);
    CHECK(e.offset() == header_pos(in_value, c.bad));
    CHECK(e.field() == "header");
    const std::string in_name = object({entry("w" + c.bad, "F32", {2}, 0, 8)});
    e = expect_error(file_bytes(in_name, 8), Code::BAD_ENCODING);
    CHECK(e.offset() == header_pos(in_name, c.bad));
  }
}

TEST_CASE("ST-03 a header that is not a JSON object is BAD_SYNTAX at its first byte",
          "[safetensors][malformed]") {
  for (const std::string h : {"[]", "\"w\"", "1", "null", "true", "x{}", "  [{}]"}) {
    INFO(h);
    auto e = expect_error(file_bytes(h), Code::BAD_SYNTAX);
    CHECK(e.offset() == 8 + h.find_first_not_of(' '));
    CHECK(e.field() == "header");
  }
  // Nothing at all (N = 0) or only whitespace: the offset is the end of the header.
  for (const std::string h : {"", "   "}) {
    auto e = expect_error(file_bytes(h), Code::BAD_SYNTAX);
    CHECK(e.offset() == 8 + h.size());
  }
}

TEST_CASE(
    "ST-03 garbage after the closing brace other than whitespace is BAD_SYNTAX at the garbage",
    "[safetensors][malformed]") {
  const std::string base = one_f32();
  for (const std::string& tail :
       {std::string("x"), std::string("}"), std::string("{}"), std::string(" ,"),
        std::string("\0", 1), std::string("  \n/"), std::string("\x0b")}) {
    INFO("tail of " << tail.size() << " bytes");
    const std::string h = base + tail;
    auto e = expect_error(file_bytes(h, 8), Code::BAD_SYNTAX);
    CHECK(e.offset() == 8 + base.size() + tail.find_first_not_of(" \n"));
    CHECK(e.field() == "header");
    CHECK(mentions(e, "after the top-level JSON object"));
  }
}

TEST_CASE("ST-03 malformed JSON inside the object is BAD_SYNTAX", "[safetensors][malformed]") {
  const std::string bad[] = {
      "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],}}",  // trailing comma
      "{\"w\":{\"dtype\":\"F32\" \"shape\":[2],\"data_offsets\":[0,8]}}",   // missing comma
      "{\"w\" {\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",   // missing colon
      "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]]}",   // wrong close
      "{\"w\":{\"dtype\":\"F32,\"shape\":[2],\"data_offsets\":[0,8]}}",     // broken string
      "{w:{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",       // bare key
      "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}",    // unterminated
  };
  REQUIRE_NOTHROW(open_bytes(file_bytes(one_f32(), 8)));
  for (const std::string& h : bad) {
    INFO(h);
    expect_error(file_bytes(h, 8), Code::BAD_SYNTAX);
  }
}

// ---------------------------------------------------------------------------------- ST-04

TEST_CASE("ST-04 baseline: __metadata__ of strings (and null) opens", "[safetensors][malformed]") {
  auto wf = open_bytes(file_bytes("{\"__metadata__\":{\"k\":\"1\",\"format\":\"pt\"}}"));
  CHECK(wf->metadata.size() == 2);
  wf = open_bytes(file_bytes("{\"__metadata__\":null}"));
  CHECK(wf->metadata.empty());
  // Nesting up to the limit is fine where JSON values are allowed (an ignored unknown field).
  OpenOptions lax;
  lax.safetensors_strict = false;
  const std::string deep = std::string(62, '[') + std::string(62, ']');  // depth 64 with 2 braces
  REQUIRE_NOTHROW(open_bytes(
      file_bytes(
          "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":" + deep + "}}", 8),
      lax));
}

TEST_CASE("ST-04 __metadata__ holding 10^6 nested brackets is DEPTH_LIMIT without recursion",
          "[safetensors][malformed]") {
  const std::string prefix = "{\"__metadata__\":";
  const size_t depth = 1000000;
  const std::string closed = prefix + std::string(depth, '[') + std::string(depth, ']') + "}";
  const std::string open_only = prefix + std::string(depth, '[');
  for (const std::string* h : {&closed, &open_only}) {
    auto e = expect_error(file_bytes(*h), Code::DEPTH_LIMIT);
    // The root object is level 1, so the 64th '[' is the first past limits.max_json_depth = 64.
    CHECK(e.offset() == 8 + prefix.size() + 63);
    CHECK(e.field() == "header");
    CHECK(mentions(e, "limit of 64"));
  }
}

TEST_CASE(
    "ST-04 10^6 nested brackets with a permissive depth limit is still DEPTH_LIMIT, no stack "
    "overflow",
    "[safetensors][malformed]") {
  OpenOptions lax;
  lax.max_json_depth = 10000000;
  const std::string prefix = "{\"__metadata__\":";
  const size_t depth = 1000000;
  const std::string h = prefix + std::string(depth, '[') + std::string(depth, ']') + "}";
  auto e = expect_error(file_bytes(h), Code::DEPTH_LIMIT, lax);
  CHECK(e.field() == "__metadata__");
  CHECK(e.offset() > 8 + prefix.size());
  CHECK(e.offset() < 8 + prefix.size() + depth);
  // Deeper starting points: a shape element and an ignored unknown field (non-strict).
  const std::string nest = std::string(100000, '[') + std::string(100000, ']');
  e = expect_error(with_w("{\"dtype\":\"U8\",\"shape\":[" + nest + "],\"data_offsets\":[0,1]}", 1),
                   Code::DEPTH_LIMIT, lax);
  CHECK(e.field() == "tensors[\"w\"].shape[0]");
  lax.safetensors_strict = false;
  e = expect_error(
      with_w("{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":" + nest + "}", 1),
      Code::DEPTH_LIMIT, lax);
  CHECK(e.field() == "tensors[\"w\"].x");
}

TEST_CASE("ST-04 a __metadata__ value that is not a string is BAD_SYNTAX naming the key",
          "[safetensors][malformed]") {
  for (const std::string v :
       {"1", "-2.5", "true", "null", "[\"a\"]", "{\"x\":\"y\"}", "[[[[]]]]"}) {
    INFO(v);
    const std::string h = "{\"__metadata__\":{\"ok\":\"1\",\"k\":" + v + "}}";
    auto e = expect_error(file_bytes(h), Code::BAD_SYNTAX);
    CHECK(e.field() == "__metadata__[\"k\"]");
    CHECK(e.offset() == header_pos(h, v, h.find("\"k\":")));
    CHECK(mentions(e, "must be a JSON string"));
  }
}

TEST_CASE("ST-04 __metadata__ that is not an object is BAD_SYNTAX", "[safetensors][malformed]") {
  for (const std::string v : {"\"x\"", "1", "[]", "[{\"k\":\"v\"}]"}) {
    INFO(v);
    const std::string h = "{\"__metadata__\":" + v + "}";
    auto e = expect_error(file_bytes(h), Code::BAD_SYNTAX);
    CHECK(e.field() == "__metadata__");
    CHECK(e.offset() == 8 + h.find(v));
  }
}

// ---------------------------------------------------------------------------------- ST-05

TEST_CASE("ST-05 baseline: each half of the 118-byte differential opens alone",
          "[safetensors][malformed]") {
  auto a = open_bytes(file_bytes(object({entry("w", "U8", {4}, 0, 4)}), 4));
  CHECK(a->tensors.at(0).dtype == DType::U8);
  CHECK(a->tensors.at(0).numel == 4);
  auto b = open_bytes(file_bytes(object({entry("w", "F32", {1}, 0, 4)}), 4));
  CHECK(b->tensors.at(0).dtype == DType::F32);
  CHECK(b->tensors.at(0).numel == 1);
}

TEST_CASE("ST-05 duplicate key w as U8[4] and F32[1] over [0,4] (118 bytes) is DUPLICATE",
          "[safetensors][malformed]") {
  const std::string first = entry("w", "U8", {4}, 0, 4), second = entry("w", "F32", {1}, 0, 4);
  const std::string h = object({first, second});
  const std::vector<uint8_t> f = file_bytes(h, 4);
  CHECK(f.size() == 118);  // the size of the published proof of concept
  auto e = expect_error(f, Code::DUPLICATE);
  CHECK(e.field() == "tensors[\"w\"]");
  CHECK(e.offset() == 8 + 1 + first.size() + 1);  // the second key's opening quote
  CHECK(mentions(e, "first at offset 9"));
  // Either order, and with different names the same bytes are an overlap instead.
  expect_error(file_bytes(object({second, first}), 4), Code::DUPLICATE);
  auto overlap =
      expect_error(file_bytes(object({first, entry("v", "F32", {1}, 0, 4)}), 4), Code::BAD_OFFSETS);
  CHECK(mentions(overlap, "overlaps"));
}

TEST_CASE("ST-05 duplicates spelled differently but equal after unescaping are DUPLICATE",
          "[safetensors][malformed]") {
  const std::string h = object({entry("w", "U8", {4}, 0, 4), entry("\\u0077", "F32", {1}, 0, 4)});
  auto e = expect_error(file_bytes(h, 4), Code::DUPLICATE);
  CHECK(e.offset() == header_pos(h, "\"\\u0077\""));
}

TEST_CASE("ST-05 duplicate __metadata__, metadata keys and entry fields are DUPLICATE",
          "[safetensors][malformed]") {
  std::string h = "{\"__metadata__\":{\"a\":\"1\"},\"__metadata__\":{\"b\":\"2\"}}";
  auto e = expect_error(file_bytes(h), Code::DUPLICATE);
  CHECK(e.field() == "__metadata__");
  CHECK(e.offset() == header_pos(h, "\"__metadata__\"", 2));

  h = "{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}";
  e = expect_error(file_bytes(h), Code::DUPLICATE);
  CHECK(e.field() == "__metadata__[\"a\"]");
  CHECK(e.offset() == header_pos(h, "\"a\"", h.find("\"a\"") + 1));

  h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"dtype\":\"U8\",\"data_offsets\":[0,8]}}";
  e = expect_error(file_bytes(h, 8), Code::DUPLICATE);
  CHECK(e.field() == "tensors[\"w\"].dtype");
  CHECK(e.offset() == header_pos(h, "\"dtype\"", h.find("\"shape\"")));
  h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"data_offsets\":[0,8]}}";
  e = expect_error(file_bytes(h, 8), Code::DUPLICATE);
  CHECK(e.field() == "tensors[\"w\"].data_offsets");
}

// ---------------------------------------------------------------------------------- ST-06
