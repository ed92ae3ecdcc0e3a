// UTF-8 validation, the depth-bounding pre-scan, number classification and string escaping.
#include "core/json_text.hpp"

#include <array>
#include <cstdio>
#include <cstring>

#include <simdjson.h>

#include "core/error.hpp"

namespace mwt::detail {

size_t find_invalid_utf8(const uint8_t* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;  // continuation byte, overlong C0/C1, or F5..FF
    }
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return kNoPosition;
}

void require_utf8(const uint8_t* p, size_t n, uint64_t base, const char* field) {
  // The SIMD validator is the fast path; the scalar one runs only to name the offset.
  if (simdjson::validate_utf8(reinterpret_cast<const char*>(p), n)) return;
  size_t bad = find_invalid_utf8(p, n);
  if (bad == kNoPosition) bad = 0;  // the two validators disagree: still refuse the text
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", p[bad]);
  fail(Code::BAD_ENCODING, std::string("text is not valid UTF-8 (byte ") + hex + ")", base + bad,
       field);
}

JsonExtent scan_json_object(const uint8_t* p, size_t n, uint64_t max_depth, uint64_t base,
                            const char* field) {
  size_t i = 0;
  while (i < n && is_json_ws(p[i])) ++i;
  if (i == n) fail(Code::BAD_SYNTAX, "no JSON value (empty or whitespace only)", base + n, field);
  if (p[i] != '{') {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", p[i]);
    fail(Code::BAD_SYNTAX, std::string("top level is not a JSON object (first byte ") + hex + ")",
         base + i, field);
  }
  const size_t begin = i;
  const size_t end = skip_json_container(p, n, i, max_depth, base, field);
  for (size_t j = end; j < n; ++j)
    if (!is_json_ws(p[j]))
      fail(Code::BAD_SYNTAX, "unexpected content after the top-level JSON object", base + j, field);
  return {begin, end};
}

size_t skip_json_container(const uint8_t* p, size_t n, size_t i, uint64_t max_depth, uint64_t base,
                           const char* field) {
  // Bytes the scan acts on: '"' starts a string, brackets change the depth; all else is skipped.
  static constexpr auto kActs = [] {
    std::array<bool, 256> t{};
    for (uint8_t c : {'"', '{', '[', '}', ']'}) t[c] = true;
    return t;
  }();
  uint64_t depth = 0;
  while (i < n) {
    while (i < n && !kActs[p[i]]) ++i;
    if (i == n) break;
    const uint8_t c = p[i];
    if (c == '"') {
      // Jump over the string with memchr: its end is the first '"' not escaped, i.e. not
      // preceded by an odd run of backslashes. Each backward count stops at the previous quote
      // or the string's start, so the scan stays linear.
      size_t from = i + 1;
      for (;;) {
        const void* q = std::memchr(p + from, '"', n - from);
        if (q == nullptr) fail(Code::BAD_SYNTAX, "unterminated JSON string", base + n, field);
        const size_t k = static_cast<size_t>(static_cast<const uint8_t*>(q) - p);
        size_t backslashes = 0;
        while (k - backslashes > i + 1 && p[k - backslashes - 1] == '\\') ++backslashes;
        from = k + 1;
        if (backslashes % 2 == 0) break;
      }
      i = from;
      continue;
    }
    if (c == '{' || c == '[') {
      if (++depth > max_depth)
        fail(Code::DEPTH_LIMIT,
             "JSON nesting deeper than the limit of " + std::to_string(max_depth), base + i, field);
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
    ++i;
  }
  fail(Code::BAD_SYNTAX, "unterminated JSON object or array", base + n, field);
}

NumberToken classify_number(std::string_view t) {
  size_t i = 0;
  const size_t n = t.size();
  bool negative = false;
  if (i < n && t[i] == '-') {
    negative = true;
    ++i;
  }
  const size_t int_begin = i;
  if (i >= n || t[i] < '0' || t[i] > '9') return {NumberKind::INVALID, 0};
  if (t[i] == '0') {
    ++i;
  } else {
    while (i < n && t[i] >= '0' && t[i] <= '9') ++i;
  }
  const size_t int_end = i;
  bool fraction = false;
  if (i < n && t[i] == '.') {
    ++i;
    const size_t d = i;
    while (i < n && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == d) return {NumberKind::INVALID, 0};
    fraction = true;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    const size_t d = i;
    while (i < n && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == d) return {NumberKind::INVALID, 0};
    fraction = true;  // 1e2 is a float in JSON, as serde sees it
  }
  if (i != n) return {NumberKind::INVALID, 0};
  if (negative) return {NumberKind::NEGATIVE, 0};
  if (fraction) return {NumberKind::NOT_INTEGER, 0};
  uint64_t v = 0;
  for (size_t k = int_begin; k < int_end; ++k) {
    const uint64_t digit = static_cast<uint64_t>(t[k] - '0');
    if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, digit, &v))
      return {NumberKind::TOO_LARGE, 0};
  }
  return {NumberKind::UINT, v};
}

void append_json_string(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

}  // namespace mwt::detail
