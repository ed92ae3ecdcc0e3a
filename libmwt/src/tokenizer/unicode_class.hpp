// The character predicates HF tokenizers' splitters use (Rust's char::is_whitespace,
// char::is_numeric, the unicode_categories punctuation test, the regex crate's \w), over UTF-8
// text that is already known to be valid.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mwt::detail::tok {

// The code point starting at text[i] and its byte length. `text` must be valid UTF-8.
inline uint32_t decode_utf8_at(std::string_view text, size_t i, size_t& len) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data()) + i;
  const size_t left = text.size() - i;
  if (p[0] < 0x80 || left < 2) {
    len = 1;
    return p[0];
  }
  if (p[0] < 0xE0) {
    len = 2;
    return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
  }
  if (p[0] < 0xF0 || left < 4) {
    len = left < 3 ? left : 3;
    return len < 3 ? 0xFFFD : ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
  }
  len = 4;
  return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
}

inline size_t utf8_char_len(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

void append_utf8(std::string& out, uint32_t cp);

// Unicode White_Space (Rust's char::is_whitespace).
inline bool is_white_space(uint32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_numeric(uint32_t c);      // general category N* (Rust's char::is_numeric)
bool is_punctuation(uint32_t c);  // ASCII punctuation or general category P* (BERT's test)
bool is_word_char(uint32_t c);    // regex crate \w: Alphabetic, M, Nd, Pc, Join_Control

}  // namespace mwt::detail::tok
