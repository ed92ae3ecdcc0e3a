// Typed reads from tokenizer.json's DOM (simdjson), each failure an Error naming the JSON path
// of the value (`model.vocab["x"]`, `added_tokens[3].content`).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace mwt::detail::tok {

namespace dom = simdjson::dom;

// Caps on what the loaders parse: a document past the byte cap is LIMIT_EXCEEDED before any
// allocation proportional to it; nesting past the depth is DEPTH_LIMIT.
inline constexpr size_t kMaxTokenizerJsonBytes = size_t{1} << 30;
inline constexpr size_t kMaxTokenizerJsonDepth = 256;

// Parses `text` (the document named `what` in messages) into `parser`; the root element.
dom::element parse_json_document(dom::parser& parser, std::string_view text, const char* what);

std::string json_path_key(std::string_view where, std::string_view key);  // where["key"] / .key
std::string json_path_index(std::string_view where, size_t i);            // where[i]

bool json_is_null(dom::element e);
const char* json_type_name(dom::element e);

dom::object json_object(dom::element e, std::string_view where);
dom::array json_array(dom::element e, std::string_view where);
std::string_view json_string(dom::element e, std::string_view where);
bool json_bool(dom::element e, std::string_view where);
double json_number(dom::element e, std::string_view where);
// An integer in [0, max]; BAD_SYNTAX for anything else (a fraction, a negative, a string).
uint64_t json_uint(dom::element e, std::string_view where, uint64_t max);

// A field that may be absent; a present JSON null reads as absent too.
std::optional<dom::element> json_field(dom::object o, std::string_view key);
// The field's value, BAD_SYNTAX naming the path when it is absent or null.
dom::element json_required(dom::object o, std::string_view key, std::string_view where);

// Optional typed fields with a default for absent / null.
bool json_bool_or(dom::object o, std::string_view key, std::string_view where, bool dflt);
std::optional<std::string> json_string_opt(dom::object o, std::string_view key,
                                           std::string_view where);
// The "type" field of a component object ("" when absent).
std::string_view json_type_of(dom::object o, std::string_view where);

}  // namespace mwt::detail::tok
