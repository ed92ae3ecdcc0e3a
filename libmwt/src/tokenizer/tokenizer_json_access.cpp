// simdjson DOM reads with mwt errors naming the JSON path.
#include "tokenizer/tokenizer_json_access.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/json_text.hpp"

namespace mwt::detail::tok {
namespace {

[[noreturn]] void wrong_type(dom::element e, std::string_view where, const char* expected) {
  fail(Code::BAD_SYNTAX, std::string("expected ") + expected + ", found " + json_type_name(e),
       kNoOffset, std::string(where));
}

}  // namespace

dom::element parse_json_document(dom::parser& parser, std::string_view text, const char* what) {
  if (text.size() > kMaxTokenizerJsonBytes) {
    fail(Code::LIMIT_EXCEEDED,
         std::to_string(text.size()) + " bytes, above the cap of " +
             std::to_string(kMaxTokenizerJsonBytes),
         kNoOffset, what);
  }
  // simdjson checks UTF-8 too, but this names the byte.
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    const size_t at = find_invalid_utf8(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    fail(Code::BAD_ENCODING, "not valid UTF-8", at, what);
  }
  if (auto err = parser.allocate(text.size() + 64, kMaxTokenizerJsonDepth)) {
    fail(err == simdjson::MEMALLOC ? Code::NO_MEMORY : Code::INTERNAL, simdjson::error_message(err),
         kNoOffset, what);
  }
  simdjson::padded_string padded(text);
  dom::element root;
  if (auto err = parser.parse(padded).get(root)) {
    Code c = Code::BAD_SYNTAX;
    if (err == simdjson::DEPTH_ERROR) c = Code::DEPTH_LIMIT;
    if (err == simdjson::UTF8_ERROR) c = Code::BAD_ENCODING;
    if (err == simdjson::MEMALLOC) c = Code::NO_MEMORY;
    if (err == simdjson::CAPACITY) c = Code::LIMIT_EXCEEDED;
    fail(c, std::string("not valid JSON: ") + simdjson::error_message(err), kNoOffset, what);
  }
  return root;
}

std::string json_path_key(std::string_view where, std::string_view key) {
  bool plain = !key.empty();
  for (char c : key) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_');
  }
  std::string out(where);
  if (plain) {
    if (!out.empty()) out += '.';
    out += key;
    return out;
  }
  out += "[\"";
  out += escape_for_message(key, 64);
  out += "\"]";
  return out;
}

std::string json_path_index(std::string_view where, size_t i) {
  return std::string(where) + "[" + std::to_string(i) + "]";
}

bool json_is_null(dom::element e) { return e.type() == dom::element_type::NULL_VALUE; }

const char* json_type_name(dom::element e) {
  switch (e.type()) {
    case dom::element_type::ARRAY: return "an array";
    case dom::element_type::OBJECT: return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "a number";
    case dom::element_type::STRING: return "a string";
    case dom::element_type::BOOL: return "a boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

dom::object json_object(dom::element e, std::string_view where) {
  dom::object o;
  if (e.get_object().get(o)) wrong_type(e, where, "an object");
  return o;
}

dom::array json_array(dom::element e, std::string_view where) {
  dom::array a;
  if (e.get_array().get(a)) wrong_type(e, where, "an array");
  return a;
}

std::string_view json_string(dom::element e, std::string_view where) {
  std::string_view s;
  if (e.get_string().get(s)) wrong_type(e, where, "a string");
  return s;
}

bool json_bool(dom::element e, std::string_view where) {
  bool b = false;
  if (e.get_bool().get(b)) wrong_type(e, where, "a boolean");
  return b;
}

double json_number(dom::element e, std::string_view where) {
  double d = 0;
  if (e.get_double().get(d)) wrong_type(e, where, "a number");
  return d;
}

uint64_t json_uint(dom::element e, std::string_view where, uint64_t max) {
  uint64_t v = 0;
  if (e.type() == dom::element_type::DOUBLE) {
    // serde reads 3.0 as an integer only through f64; tokenizer.json writes integers plainly.
    wrong_type(e, where, "an integer");
  }
  if (e.get_uint64().get(v)) wrong_type(e, where, "a non-negative integer");
  if (v > max) {
    fail(Code::LIMIT_EXCEEDED,
         std::to_string(v) + " is above the largest allowed value " + std::to_string(max),
         kNoOffset, std::string(where));
  }
  return v;
}

std::optional<dom::element> json_field(dom::object o, std::string_view key) {
  dom::element e;
  if (o.at_key(key).get(e)) return std::nullopt;
  if (json_is_null(e)) return std::nullopt;
  return e;
}

dom::element json_required(dom::object o, std::string_view key, std::string_view where) {
  auto e = json_field(o, key);
  if (!e) {
    fail(Code::BAD_SYNTAX, "missing field \"" + std::string(key) + "\"", kNoOffset,
         std::string(where));
  }
  return *e;
}

bool json_bool_or(dom::object o, std::string_view key, std::string_view where, bool dflt) {
  auto e = json_field(o, key);
  return e ? json_bool(*e, json_path_key(where, key)) : dflt;
}

std::optional<std::string> json_string_opt(dom::object o, std::string_view key,
                                           std::string_view where) {
  auto e = json_field(o, key);
  if (!e) return std::nullopt;
  return std::string(json_string(*e, json_path_key(where, key)));
}

std::string_view json_type_of(dom::object o, std::string_view where) {
  auto e = json_field(o, "type");
  return e ? json_string(*e, json_path_key(where, "type")) : std::string_view();
}

}  // namespace mwt::detail::tok
