// UTF-8 iteration, lossy decoding, HF's character classes and Unicode normalization on top of
// utf8proc, with the code points HF's older tables do not know treated as unassigned.
#include "tokenizer/normalizers_unicode.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <vector>

namespace mwt::detail::tok {

namespace ut = unicode_tables;

size_t utf8_decode(std::string_view s, size_t i, char32_t& cp) noexcept {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c0 = b(i);
  if (c0 < 0x80) {
    cp = c0;
    return 1;
  }
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF;  // the valid range of the second byte
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    need = 1;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    need = 2;
    if (c0 == 0xE0) lo = 0xA0;
    if (c0 == 0xED) hi = 0x9F;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    need = 3;
    if (c0 == 0xF0) lo = 0x90;
    if (c0 == 0xF4) hi = 0x8F;
  } else {
    cp = kInvalidCp;
    return 1;
  }
  char32_t v = c0 & (0x3F >> need);
  for (size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) {
      cp = kInvalidCp;
      return k;
    }
    const uint8_t ck = b(i + k);
    const uint8_t l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (ck < l || ck > h) {
      cp = kInvalidCp;
      return k;
    }
    v = (v << 6) | (ck & 0x3F);
  }
  cp = v;
  return need + 1;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool utf8_valid(std::string_view s) noexcept {
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    i += utf8_decode(s, i, cp);
    if (cp == kInvalidCp) return false;
  }
  return true;
}

size_t utf8_char_count(std::string_view s) noexcept {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) {
    char32_t cp;
    const size_t len = utf8_decode(s, i, cp);
    i += cp == kInvalidCp ? 1 : len;
  }
  return n;
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    char32_t cp;
    const size_t len = utf8_decode(bytes, i, cp);
    if (cp == kInvalidCp)
      out += "\xEF\xBF\xBD";
    else
      out.append(bytes.substr(i, len));
    i += len;
  }
  return out;
}

bool is_rust_whitespace(char32_t c) noexcept {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool in_ranges(const CodeRange* r, size_t n, char32_t c) noexcept {
  const CodeRange* end = r + n;
  const CodeRange* it =
      std::upper_bound(r, end, c, [](char32_t v, const CodeRange& x) { return v < x.first; });
  return it != r && c <= (it - 1)->last;
}

static int category(char32_t c) noexcept {
  return c > 0x10FFFF ? UTF8PROC_CATEGORY_CN : utf8proc_category(static_cast<int32_t>(c));
}

bool is_bert_control(char32_t c) noexcept {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  const int cat = category(c);
  if (cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CO) return true;
  return cat == UTF8PROC_CATEGORY_CF && !in_ranges(ut::kCfAfter8, ut::kCfAfter8_size, c);
}

bool is_bert_nonspacing_mark(char32_t c) noexcept {
  return category(c) == UTF8PROC_CATEGORY_MN && !in_ranges(ut::kMnAfter8, ut::kMnAfter8_size, c);
}

bool is_hf_combining_mark(char32_t c) noexcept {
  const int cat = category(c);
  return (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
          cat == UTF8PROC_CATEGORY_ME) &&
         !in_ranges(ut::kMarkAfter9, ut::kMarkAfter9_size, c);
}

bool is_chinese_char(char32_t c) noexcept {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

void append_lowercase(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    return;
  }
  if (c == 0x130) {  // the one unconditional multi-character lowercase mapping (SpecialCasing)
    out += "i\xCC\x87";
    return;
  }
  utf8_append(out, c > 0x10FFFF ? c : static_cast<char32_t>(utf8proc_tolower(int32_t(c))));
}

// ---- normalization -------------------------------------------------------------------------

static int hf_ccc(int32_t c) noexcept {
  if (in_ranges(ut::kCccAfter9, ut::kCccAfter9_size, static_cast<char32_t>(c))) return 0;
  return utf8proc_get_property(c)->combining_class;
}

static void compose_segment(std::vector<int32_t>& buf, size_t begin, size_t end,
                            std::vector<int32_t>& out) {
  std::vector<int32_t> seg(buf.begin() + static_cast<ptrdiff_t>(begin),
                           buf.begin() + static_cast<ptrdiff_t>(end));
  const utf8proc_ssize_t n =
      utf8proc_normalize_utf32(seg.data(), static_cast<utf8proc_ssize_t>(seg.size()),
                               static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE));
  out.insert(out.end(), seg.begin(), seg.begin() + (n < 0 ? 0 : n));
}

// Decomposes, orders and (for NFC/NFKC) composes one run of valid code points.
static void normalize_run(const std::vector<int32_t>& cps, NormalForm form, std::string& out) {
  const bool compat = form == NormalForm::NFKC || form == NormalForm::NFKD;
  const bool compose = form == NormalForm::NFC || form == NormalForm::NFKC;
  std::vector<int32_t> d;
  d.reserve(cps.size() + 8);
  int32_t tmp[32];
  const auto opts =
      static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0));
  for (int32_t c : cps) {
    if (in_ranges(ut::kDecompAfter9, ut::kDecompAfter9_size, static_cast<char32_t>(c))) {
      d.push_back(c);
      continue;
    }
    const utf8proc_ssize_t n = utf8proc_decompose_char(c, tmp, 32, opts, nullptr);
    if (n <= 0 || n > 32)
      d.push_back(c);
    else
      d.insert(d.end(), tmp, tmp + n);
  }
  // Canonical ordering: a stable sort by combining class within each run of non-starters.
  for (size_t i = 0; i < d.size();) {
    if (hf_ccc(d[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && hf_ccc(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + static_cast<ptrdiff_t>(i), d.begin() + static_cast<ptrdiff_t>(j),
                     [](int32_t a, int32_t b) { return hf_ccc(a) < hf_ccc(b); });
    i = j;
  }
  if (compose) {
    // HF's tables see post-9.0 combining marks as starters, and know no composition into
    // U+11938 (DIVES AKURU VOWEL SIGN O = U+11935 U+11930): composing the text in segments cut
    // before those keeps both blocked.
    std::vector<int32_t> c;
    c.reserve(d.size());
    size_t start = 0;
    for (size_t i = 1; i < d.size(); ++i) {
      const bool cut =
          in_ranges(ut::kCccAfter9, ut::kCccAfter9_size, static_cast<char32_t>(d[i])) ||
          (d[i] == 0x11930 && d[i - 1] == 0x11935);
      if (cut) {
        compose_segment(d, start, i, c);
        start = i;
      }
    }
    if (start < d.size()) compose_segment(d, start, d.size(), c);
    d.swap(c);
  }
  for (int32_t c : d) utf8_append(out, static_cast<char32_t>(c));
}

std::string normalize_unicode(std::string_view s, NormalForm form) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  std::vector<int32_t> run;
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    const size_t len = utf8_decode(s, i, cp);
    if (cp == kInvalidCp) {
      normalize_run(run, form, out);
      run.clear();
      out.append(s.substr(i, len));
    } else {
      run.push_back(static_cast<int32_t>(cp));
    }
    i += len;
  }
  normalize_run(run, form, out);
  return out;
}

// ---- GPT-2 byte-level alphabet ---------------------------------------------------------------

namespace {
struct ByteLevelTable {
  char32_t to_char[256];
  int16_t to_byte[256 + 68];  // 68 bytes lie outside the printable ranges
  ByteLevelTable() {
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
      // printable bytes stand for themselves; the others take 256, 257, ... in byte order
      to_char[b] = static_cast<char32_t>(printable ? b : 256 + n++);
    }
    for (auto& v : to_byte) v = -1;
    for (int b = 0; b < 256; ++b) to_byte[to_char[b]] = static_cast<int16_t>(b);
  }
};
const ByteLevelTable& byte_level_table() {
  static const ByteLevelTable t;
  return t;
}
}  // namespace

char32_t byte_level_char(uint8_t b) noexcept { return byte_level_table().to_char[b]; }

int byte_level_byte(char32_t c) noexcept {
  return c < 256 + 68 ? byte_level_table().to_byte[c] : -1;
}

}  // namespace mwt::detail::tok
