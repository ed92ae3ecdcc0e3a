// GGUF strings must be UTF-8 (docs/gguf.md#strings): a key, tensor name, string value or
// string-array element that is not is BAD_ENCODING naming the string's offset and field, unless
// gguf.allow_invalid_utf8; and the JSON reports stay valid UTF-8 for what that option admits.
#include <string>

#include <catch2/catch.hpp>

#include "analysis/scheme.hpp"
#include "core/json_text.hpp"
#include "core/json_writer.hpp"
#include "gguf_bytes.hpp"

using namespace gguf_test;

namespace {

// One F32[4] tensor named `name`, after the given KV bytes (n_kv pairs).
std::vector<uint8_t> file_with(std::string_view name, uint64_t n_kv = 0,
                               const std::vector<uint8_t>& kvs = {}) {
  GgufBytes g;
  g.b.reserve(256);  // GCC 12 otherwise warns falsely on the first insert (-Wstringop-overflow)
  g.header(1, n_kv);
  g.b.insert(g.b.end(), kvs.begin(), kvs.end());
  g.tensor_info(name, {4}, 0, 0).pad_to(32).data(16);
  return g.b;
}

OpenOptions lax() {
  OpenOptions o;
  o.gguf_allow_invalid_utf8 = true;
  return o;
}

bool valid_utf8(const std::string& s) {
  return find_invalid_utf8(reinterpret_cast<const uint8_t*>(s.data()), s.size()) == kNoPosition;
}

}  // namespace

TEST_CASE("gguf utf8: a tensor name that is not UTF-8 is BAD_ENCODING at the string", "[gguf]") {
  const auto bytes = file_with("w\xff");
  const Error e = expect_error(bytes, Code::BAD_ENCODING);
  CHECK(e.offset() == 24);  // the name's length field, right after the header
  CHECK(e.field() == "tensors[#0].name");
  CHECK(std::string(e.what()).find("0xff at offset 33") != std::string::npos);
  const auto wf = open_bytes(bytes, lax());
  REQUIRE(wf->tensors.size() == 1);
  CHECK(wf->tensors[0].name == "w\xff");
}

TEST_CASE("gguf utf8: keys, values and string-array elements are checked", "[gguf]") {
  SECTION("key") {
    GgufBytes kv;
    kv.kv_str("general.\xc0\x80", "x");  // an overlong NUL
    const Error e = expect_error(file_with("w", 1, kv.b), Code::BAD_ENCODING);
    CHECK(e.offset() == 24);
    CHECK(e.field() == "kv[#0].key");
  }
  SECTION("string value") {
    GgufBytes kv;
    kv.kv_str("general.name", "a\xed\xa0\x80");  // a UTF-16 surrogate
    const Error e = expect_error(file_with("w", 1, kv.b), Code::BAD_ENCODING);
    CHECK(e.offset() == 24 + 8 + 12 + 4);
    CHECK(e.field() == "kv[\"general.name\"].value");
  }
  SECTION("string-array element 17") {
    GgufBytes kv;
    kv.kv("tokenizer.ggml.tokens", T_ARRAY).array(T_STRING, 20);
    uint64_t at17 = 0;
    for (int i = 0; i < 20; ++i) {
      if (i == 17) at17 = 24 + kv.size();
      kv.str(i == 17 ? std::string_view("\xe2\x82") : std::string_view("tok"));  // truncated
    }
    const Error e = expect_error(file_with("w", 1, kv.b), Code::BAD_ENCODING);
    CHECK(e.offset() == at17);
    CHECK(e.field() == "kv[\"tokenizer.ggml.tokens\"].value[17]");
    const auto wf = open_bytes(file_with("w", 1, kv.b), lax());
    CHECK(wf->metadata.at(0).value.strings.at(17) == "\xe2\x82");
  }
  SECTION("valid multi-byte UTF-8 opens") {
    GgufBytes kv;
    kv.kv_str("general.name", "caf\xc3\xa9 \xf0\x9f\x98\x80");
    CHECK(open_bytes(file_with("\xe2\x96\x81w", 1, kv.b))->tensors.size() == 1);
  }
}

TEST_CASE("gguf utf8: JsonOut writes each invalid byte as U+FFFD", "[gguf][json]") {
  JsonOut j;
  j.begin_object().field("w\xff", std::string_view("a\xe2\x82z\xc3\xa9")).end_object();
  CHECK(j.str() == "{\"w\xef\xbf\xbd\":\"a\xef\xbf\xbd\xef\xbf\xbdz\xc3\xa9\"}");
  CHECK(valid_utf8(j.str()));
}

TEST_CASE("gguf utf8: the quantization report of a lax file is valid UTF-8", "[gguf][json]") {
  const auto wf = open_bytes(file_with("w\xff"), lax());
  const std::string report = analysis::quantization_report_json(*wf);
  CHECK(valid_utf8(report));
  CHECK(report.find("w\xef\xbf\xbd") != std::string::npos);  // the tensor group, escaped
}

TEST_CASE("gguf utf8: a tensor-less file's scheme is \"no tensors\"", "[gguf][scheme]") {
  GgufBytes g;
  g.b.reserve(64);                                // as in file_with
  g.header(0, 1).kv_u32("general.file_type", 1);  // F16, as llama.cpp's vocab files state
  const auto wf = open_bytes(g.b);
  const std::string report = analysis::quantization_report_json(*wf);
  CHECK(report.find("\"scheme\":\"no tensors\"") != std::string::npos);
}
