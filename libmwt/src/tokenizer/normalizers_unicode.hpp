// UTF-8 and Unicode helpers of the normalizers, models and decoders: code point iteration that
// tolerates invalid UTF-8, Rust's from_utf8_lossy, and the character classes Hugging Face
// tokenizers uses, answered by utf8proc with HF's older Unicode tables applied on top
// (docs/tokenizers-models.md#unicode-versions).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mwt::detail::tok {

struct CodeRange {
  char32_t first, last;
};

// Decodes the code point at s[i]. Returns its byte length and sets cp; an invalid sequence
// returns the length of its maximal valid prefix (at least 1, as Unicode's "maximal subpart"
// and Rust's from_utf8_lossy count it) and sets cp = kInvalidCp.
inline constexpr char32_t kInvalidCp = 0xFFFFFFFF;
size_t utf8_decode(std::string_view s, size_t i, char32_t& cp) noexcept;
void utf8_append(std::string& out, char32_t cp);
bool utf8_valid(std::string_view s) noexcept;
size_t utf8_char_count(std::string_view s) noexcept;  // an invalid byte counts as one
// Rust's String::from_utf8_lossy: every maximal invalid subpart becomes one U+FFFD.
std::string utf8_lossy(std::string_view bytes);

// Rust's char::is_whitespace (the Unicode White_Space property).
bool is_rust_whitespace(char32_t c) noexcept;
bool in_ranges(const CodeRange* r, size_t n, char32_t c) noexcept;

// Character classes as HF tokenizers' tables answer them.
bool is_bert_control(char32_t c) noexcept;          // Cc | Cf | Co as of Unicode 8.0, not \t\n\r
bool is_bert_nonspacing_mark(char32_t c) noexcept;  // Mn as of Unicode 8.0
bool is_hf_combining_mark(char32_t c) noexcept;     // Mn | Mc | Me as of Unicode 9.0
bool is_chinese_char(char32_t c) noexcept;          // BertNormalizer's CJK blocks

// Rust's char::to_lowercase (full mapping: U+0130 becomes "i\u0307"), appended to out.
void append_lowercase(std::string& out, char32_t c);

enum class NormalForm { NFC, NFD, NFKC, NFKD };
// Unicode normalization with HF's Unicode 9.0 tables. Invalid bytes pass through unchanged and
// split the text into independently normalized runs.
std::string normalize_unicode(std::string_view s, NormalForm form);

// GPT-2's byte-to-printable-character table (HF ByteLevel): byte b -> its code point.
char32_t byte_level_char(uint8_t b) noexcept;
// Inverse; returns -1 for a code point outside the table.
int byte_level_byte(char32_t c) noexcept;

namespace unicode_tables {
extern const CodeRange kMnAfter8[];
extern const size_t kMnAfter8_size;
extern const CodeRange kCfAfter8[];
extern const size_t kCfAfter8_size;
extern const CodeRange kMarkAfter9[];
extern const size_t kMarkAfter9_size;
extern const CodeRange kCccAfter9[];
extern const size_t kCccAfter9_size;
extern const CodeRange kDecompAfter9[];
extern const size_t kDecompAfter9_size;
}  // namespace unicode_tables

}  // namespace mwt::detail::tok
