// JSON text helpers for the safetensors header, the shard index and the writer: UTF-8
// validation that names the first bad byte, a structural pre-scan that bounds nesting depth and
// finds the extent of the top-level object, strict number-token classification, and string
// escaping byte-compatible with the reference writer (serde_json).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mwt::detail {

inline constexpr size_t kNoPosition = static_cast<size_t>(-1);

inline bool is_json_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Position of the first byte that does not belong to well-formed UTF-8 (RFC 3629: no overlongs,
// no surrogates, nothing above U+10FFFF), or kNoPosition.
size_t find_invalid_utf8(const uint8_t* p, size_t n);

// Throws BAD_ENCODING naming `field` and the file offset (`base` + position) of the bad byte.
void require_utf8(const uint8_t* p, size_t n, uint64_t base, const char* field);

// [begin, end) of the single top-level JSON object in p[0, n). Leading and trailing JSON
// whitespace is allowed; anything else around the object is BAD_SYNTAX, nesting deeper than
// `max_depth` is DEPTH_LIMIT. Linear and non-recursive, so 10^6 nested '[' cost no stack.
// Mismatched brackets are left to the full parser that runs afterwards.
struct JsonExtent {
  size_t begin;
  size_t end;
};
JsonExtent scan_json_object(const uint8_t* p, size_t n, uint64_t max_depth, uint64_t base,
                            const char* field);

// p[i] is '{' or '['; returns the position one past its matching close, honouring strings.
// Same errors as scan_json_object for excess depth and a missing close.
size_t skip_json_container(const uint8_t* p, size_t n, size_t i, uint64_t max_depth, uint64_t base,
                           const char* field);

// A JSON number token judged by the JSON grammar, without going through a double.
enum class NumberKind { UINT, NEGATIVE, NOT_INTEGER, TOO_LARGE, INVALID };
struct NumberToken {
  NumberKind kind;
  uint64_t value;  // UINT only
};
NumberToken classify_number(std::string_view token);

// Appends `s` as a JSON string literal the way serde_json writes it: '"' and '\' escaped, the
// five short escapes \b \t \n \f \r, other control bytes as \u00xx (lowercase hex), everything
// else (DEL, '/', UTF-8) verbatim. Matching it is what makes rewrites of files from the
// reference writer byte-identical.
void append_json_string(std::string& out, std::string_view s);

}  // namespace mwt::detail
