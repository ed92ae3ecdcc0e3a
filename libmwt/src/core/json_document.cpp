// simdjson ondemand glue: parsing, offsets, error mapping and generic value validation.
#include "core/json_document.hpp"

#include <algorithm>
#include <unordered_set>

#include "core/json_text.hpp"

namespace mwt::detail {

Code code_for_json_error(simdjson::error_code e) noexcept {
  switch (e) {
    case simdjson::UTF8_ERROR: return Code::BAD_ENCODING;
    case simdjson::DEPTH_ERROR: return Code::DEPTH_LIMIT;
    case simdjson::MEMALLOC: return Code::NO_MEMORY;
    default: return Code::BAD_SYNTAX;
  }
}

namespace {

constexpr size_t kReusedParserMax = size_t{1} << 20;

struct ParserSlot {
  od::parser parser;
  bool busy = false;
};
thread_local ParserSlot t_parser;

}  // namespace

JsonDocument::~JsonDocument() {
  if (borrowed_) t_parser.busy = false;
}

JsonDocument::JsonDocument(const uint8_t* text, size_t n, uint64_t file_base, uint64_t max_depth,
                           std::string field)
    : buf_(reinterpret_cast<const char*>(text), n), base_(file_base), field_(std::move(field)) {
  if (buf_.data() == nullptr && n > 0)
    fail(Code::NO_MEMORY, "cannot copy the JSON text", base_, field_);
  // ondemand only enforces max_depth in development builds (an assertion, not an error);
  // scan_json_object already bounded the depth, and the setting is kept in step with it for
  // builds that do check. Above kMaxJsonRecursion the code itself bounds how deep it descends:
  // validate_json_value goes at most kMaxJsonRecursion levels below a value that sits at most
  // kMaxValueStartDepth levels below the root, so the clamp must leave room for both.
  constexpr uint64_t kMaxValueStartDepth = 8;
  constexpr uint64_t kCap = kMaxJsonRecursion + kMaxValueStartDepth;
  const size_t depth = static_cast<size_t>(max_depth < kCap ? max_depth : kCap) + 1;
  if (n <= kReusedParserMax && !t_parser.busy) {
    parser_ = &t_parser.parser;
    t_parser.busy = borrowed_ = true;
  } else {
    own_parser_ = std::make_unique<od::parser>();
    parser_ = own_parser_.get();
  }
  try {
    // A borrowed parser keeps its buffers when they are large enough for this document.
    const size_t capacity =
        borrowed_ ? std::max(n, std::min(parser_->capacity(), kReusedParserMax)) : n;
    if (parser_->capacity() != capacity || parser_->max_depth() != depth)
      if (auto e = parser_->allocate(capacity, depth))
        fail_json(e, base_, field_, "cannot prepare the JSON parser");
    if (auto e = parser_->iterate(buf_).get(doc_)) fail_json(e, base_, field_, "invalid JSON");
  } catch (...) {
    if (borrowed_) t_parser.busy = false;  // no destructor runs for a constructor that throws
    throw;
  }
}

od::object JsonDocument::root() {
  od::object obj;
  if (auto e = doc_.get_object().get(obj))
    fail_json(e, base_, field_, "top level is not a JSON object");
  return obj;
}

uint64_t JsonDocument::offset_of(od::value& v) noexcept {
  std::string_view tok = v.raw_json_token();
  return tok.data() ? offset_of(tok.data()) : base_;
}

uint64_t JsonDocument::key_offset(od::field& f) const noexcept {
  const char* raw = f.key().raw();  // first byte after the opening quote
  return raw ? offset_of(raw) - 1 : base_;
}

void JsonDocument::fail_json(simdjson::error_code e, uint64_t offset, const FieldName& field,
                             std::string_view context) const {
  fail(code_for_json_error(e), std::string(context) + " (" + simdjson::error_message(e) + ")",
       offset, field.str());
}

std::string_view token_of(od::value& v) {
  std::string_view t = v.raw_json_token();
  while (!t.empty() && is_json_ws(static_cast<uint8_t>(t.back()))) t.remove_suffix(1);
  return t;
}

std::string_view field_key(od::field& f, JsonDocument& doc, const FieldName& field) {
  const uint64_t at = doc.key_offset(f);
  std::string_view key;
  if (auto e = f.unescaped_key().get(key)) doc.fail_json(e, at, field, "invalid object key");
  return key;
}

od::field next_field(simdjson::simdjson_result<od::field> r, JsonDocument& doc, uint64_t at,
                     const FieldName& field) {
  od::field f;
  if (auto e = std::move(r).get(f)) doc.fail_json(e, at, field, "malformed JSON object");
  return f;
}

od::value next_element(simdjson::simdjson_result<od::value> r, JsonDocument& doc, uint64_t at,
                       const FieldName& field) {
  od::value v;
  // simdjson_result::get is &&-qualified: the move picks that overload (the check only sees a
  // trivially copyable type).
  if (auto e = std::move(r).get(v))  // NOLINT(performance-move-const-arg)
    doc.fail_json(e, at, field, "malformed JSON array");
  return v;
}

const char* json_type_phrase(od::value& v) {
  od::json_type t;
  if (v.type().get(t)) return "malformed JSON";
  switch (t) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "an unknown JSON value";
}

std::string_view get_json_string(od::value& v, JsonDocument& doc, const FieldName& field,
                                 std::string_view what) {
  const uint64_t at = doc.offset_of(v);
  od::json_type t;
  if (auto e = v.type().get(t)) doc.fail_json(e, at, field, "malformed JSON value");
  if (t != od::json_type::string) {
    const char* phrase = json_type_phrase(v);
    validate_json_value(v, doc, kMaxJsonRecursion, field);  // garbage is a syntax error first
    fail(Code::BAD_SYNTAX, std::string(what) + " must be a JSON string, found " + phrase, at,
         field.str());
  }
  std::string_view s;
  if (auto e = v.get_string().get(s)) doc.fail_json(e, at, field, "invalid JSON string");
  return s;
}

void validate_json_value(od::value v, JsonDocument& doc, uint64_t depth_left,
                         const FieldName& field) {
  const uint64_t at = doc.offset_of(v);
  if (depth_left == 0) fail(Code::DEPTH_LIMIT, "JSON nesting too deep", at, field.str());
  od::json_type t;
  if (auto e = v.type().get(t)) doc.fail_json(e, at, field, "malformed JSON value");
  switch (t) {
    case od::json_type::array: {
      od::array a;
      if (auto e = v.get_array().get(a)) doc.fail_json(e, at, field, "malformed JSON array");
      for (auto er : a)
        validate_json_value(next_element(er, doc, at, field), doc, depth_left - 1, field);
      return;
    }
    case od::json_type::object: {
      od::object o;
      if (auto e = v.get_object().get(o)) doc.fail_json(e, at, field, "malformed JSON object");
      std::unordered_set<std::string_view> keys;
      for (auto fr : o) {
        od::field f = next_field(std::move(fr), doc, at, field);
        const uint64_t key_at = doc.key_offset(f);
        std::string_view key = field_key(f, doc, field);
        if (!keys.insert(key).second)
          fail(Code::DUPLICATE, "JSON object key \"" + escape_for_message(key) + "\" appears twice",
               key_at, field.str());
        validate_json_value(f.value(), doc, depth_left - 1, field);
      }
      return;
    }
    case od::json_type::number: {
      if (classify_number(token_of(v)).kind == NumberKind::INVALID)
        fail(Code::BAD_SYNTAX, "malformed JSON number '" + escape_for_message(token_of(v)) + "'",
             at, field.str());
      double d;
      // Consumes the token; the result is ignored because out-of-range doubles are still JSON.
      [[maybe_unused]] const auto ignored = v.get_double().get(d);
      return;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) doc.fail_json(e, at, field, "invalid JSON string");
      return;
    }
    case od::json_type::boolean: {
      bool b;
      if (auto e = v.get_bool().get(b)) doc.fail_json(e, at, field, "malformed JSON literal");
      return;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) doc.fail_json(e, at, field, "malformed JSON literal");
      if (!is_null)
        fail(Code::BAD_SYNTAX, "malformed JSON literal '" + escape_for_message(token_of(v)) + "'",
             at, field.str());
      return;
    }
  }
  fail(Code::BAD_SYNTAX, "unknown JSON value", at, field.str());
}

}  // namespace mwt::detail
