// JsonDocument: one JSON text parsed with simdjson's ondemand API, plus the glue every caller
// needs: file offsets for keys and values, simdjson error codes mapped to mwt codes, string
// extraction and full validation of values a caller otherwise ignores.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include <simdjson.h>

#include "core/error.hpp"

namespace mwt::detail {

namespace od = simdjson::ondemand;

// The field path an error message names, built only when an error is raised: parsers pass
// either a ready string or a callable returning one, so the valid path allocates nothing.
class FieldName {
 public:
  FieldName(const std::string& s) noexcept : str_(&s) {}  // NOLINT(google-explicit-constructor)
  FieldName(const char* s) noexcept : cstr_(s) {}         // NOLINT(google-explicit-constructor)
  template <typename F, typename = std::enable_if_t<std::is_invocable_r_v<std::string, const F&>>>
  FieldName(const F& make) noexcept  // NOLINT(google-explicit-constructor)
      : ctx_(&make), make_([](const void* c) { return (*static_cast<const F*>(c))(); }) {}
  std::string str() const {
    if (str_) return *str_;
    if (cstr_) return cstr_;
    return make_(ctx_);
  }

 private:
  const std::string* str_ = nullptr;
  const char* cstr_ = nullptr;
  const void* ctx_ = nullptr;
  std::string (*make_)(const void*) = nullptr;
};

// Depth up to which validate_json_value recurses. A larger configured JSON depth limit is
// clamped to this, so a permissive setting can never turn into a stack overflow.
inline constexpr uint64_t kMaxJsonRecursion = 1024;

Code code_for_json_error(simdjson::error_code e) noexcept;

class JsonDocument {
 public:
  // `text` must already have passed require_utf8 and scan_json_object; `file_base` is the file
  // offset of text[0]; `field` names the document in messages ("header", "index").
  JsonDocument(const uint8_t* text, size_t n, uint64_t file_base, uint64_t max_depth,
               std::string field);
  ~JsonDocument();
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  od::object root();
  uint64_t offset_of(const char* p) const noexcept {
    return base_ + static_cast<uint64_t>(p - buf_.data());
  }
  uint64_t offset_of(od::value& v) noexcept;         // first byte of the value
  uint64_t key_offset(od::field& f) const noexcept;  // the key's opening quote
  const std::string& name() const noexcept { return field_; }

  // Throws the mwt code for a simdjson error, naming `field` and `offset`.
  [[noreturn]] void fail_json(simdjson::error_code e, uint64_t offset, const FieldName& field,
                              std::string_view context) const;

 private:
  simdjson::padded_string buf_;
  // Documents up to kReusedParserMax bytes borrow this thread's parser (opening 30 shards then
  // allocates its buffers once, not 30 times); larger or nested documents get their own.
  std::unique_ptr<od::parser> own_parser_;
  od::parser* parser_ = nullptr;
  bool borrowed_ = false;
  od::document doc_;
  uint64_t base_;
  std::string field_;
};

// The value's raw token without trailing whitespace ("[" for an array).
std::string_view token_of(od::value& v);

// The field's key, unescaped. Call before touching the field's value.
std::string_view field_key(od::field& f, JsonDocument& doc, const FieldName& field);

// Obtains the next field/element of an iteration, failing with the mapped code.
od::field next_field(simdjson::simdjson_result<od::field> r, JsonDocument& doc, uint64_t at,
                     const FieldName& field);
od::value next_element(simdjson::simdjson_result<od::value> r, JsonDocument& doc, uint64_t at,
                       const FieldName& field);

// The value as a decoded string; BAD_SYNTAX (naming `what`) when it is not a string.
std::string_view get_json_string(od::value& v, JsonDocument& doc, const FieldName& field,
                                 std::string_view what);

// Parses and discards any JSON value, so a value the caller ignores is still held to the JSON
// grammar (and to unique keys). Throws BAD_SYNTAX / DUPLICATE / DEPTH_LIMIT.
void validate_json_value(od::value v, JsonDocument& doc, uint64_t depth_left,
                         const FieldName& field);

// A short description of the JSON type of v ("a string", "an array", ...), for messages.
const char* json_type_phrase(od::value& v);

}  // namespace mwt::detail
