// Readers for the fields of tokenizer.json components (simdjson DOM), shared by
// normalizer_from_json and decoder_from_json: each names the field path in its error.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace mwt::detail::tok::json {

namespace dom = simdjson::dom;

// Components nest (Sequence of Sequence ...): deeper than this is DEPTH_LIMIT.
inline constexpr int kMaxComponentDepth = 32;

dom::object object_of(dom::element e, std::string_view where);
std::string_view type_of(dom::object o, std::string_view where);
std::string path(std::string_view where, std::string_view key);
// The field, or nullopt when absent (a JSON null counts as present).
std::optional<dom::element> field(dom::object o, std::string_view key);

bool get_bool(dom::object o, std::string_view key, std::string_view where,
              std::optional<bool> fallback);
std::string get_string(dom::object o, std::string_view key, std::string_view where,
                       std::optional<std::string_view> fallback);
uint64_t get_uint(dom::object o, std::string_view key, std::string_view where,
                  std::optional<uint64_t> fallback);
// A string holding exactly one character (Rust `char` fields).
std::string get_char(dom::object o, std::string_view key, std::string_view where,
                     std::optional<std::string_view> fallback);

// HF's Replace pattern: {"String": "..."} or {"Regex": "..."}.
struct Pattern {
  bool regex = false;
  std::string text;
};
Pattern get_pattern(dom::object o, std::string_view key, std::string_view where);

// Standard base64 with padding (Rust base64's STANDARD engine): BAD_SYNTAX otherwise.
std::string base64_decode(std::string_view s, std::string_view where);

}  // namespace mwt::detail::tok::json
