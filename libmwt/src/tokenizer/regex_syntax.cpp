// Oniguruma (Ruby syntax) patterns restated for PCRE2. Why each rewrite exists:
// docs/tokenizers-core.md#regex.
#include "tokenizer/regex_syntax.hpp"

#include <cstdio>

#include "core/error.hpp"

namespace mwt::detail::tok {
namespace {

// Oniguruma's \s is the White_Space property (it has U+0085, not U+180E; PCRE2's UCP \s is the
// other way round). Its \w is Alphabetic, marks, decimal digits and connector punctuation
// (PCRE2's UCP \w is letters, numbers and '_'), plus, outside a bracket class only, the six
// Latin-1 numbers superscript 1-3 and the vulgar fractions; these sets were compared with HF
// code point by code point. Ruby's \h is a hex digit, not horizontal space.
constexpr std::string_view kSpace = "\\p{White_Space}";
constexpr std::string_view kNotSpace = "\\P{White_Space}";
constexpr std::string_view kWordItems = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}";
constexpr std::string_view kLatin1Numbers = "\\x{B2}\\x{B3}\\x{B9}\\x{BC}-\\x{BE}";
constexpr std::string_view kHexItems = "0-9a-fA-F";

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

size_t utf8_len(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

[[noreturn]] void unsupported(std::string_view pattern, size_t at, const char* what) {
  fail(Code::UNSUPPORTED_FEATURE, std::string(what) + " at pattern offset " + std::to_string(at) +
                                      " in \"" + escape_for_message(pattern) +
                                      "\" (PCRE2 has no equivalent)");
}

class Translator {
 public:
  explicit Translator(std::string_view p) : p_(p) { out_.reserve(p.size() + 32); }

  std::string run() {
    while (i_ < p_.size()) {
      const char c = p_[i_];
      if (c == '\\') {
        escape();
      } else if (depth_ > 0) {
        in_class(c);
      } else if (c == '[') {
        open_class();
      } else if (c == '(' && peek(1) == '?') {
        group_flags();
      } else if (c == '{' && peek(1) == ',') {
        brace();
      } else {
        out_ += c;
        ++i_;
      }
    }
    return std::move(out_);
  }

 private:
  char peek(size_t k) const { return i_ + k < p_.size() ? p_[i_ + k] : '\0'; }

  void copy_char() {
    const size_t n = utf8_len(static_cast<unsigned char>(p_[i_]));
    const size_t take = i_ + n <= p_.size() ? n : p_.size() - i_;
    out_.append(p_.substr(i_, take));
    i_ += take;
  }

  void escape() {
    const char e = peek(1);
    if (e == '\0') {  // a trailing backslash: PCRE2 reports it with its own message
      out_ += '\\';
      ++i_;
      return;
    }
    if (e == 'Q') {  // \Q...\E is literal text in both engines
      const size_t end = p_.find("\\E", i_ + 2);
      const size_t stop = end == std::string_view::npos ? p_.size() : end + 2;
      out_.append(p_.substr(i_, stop - i_));
      i_ = stop;
      return;
    }
    const bool cls = depth_ > 0;
    switch (e) {
      case 's':
        out_ += kSpace;
        i_ += 2;
        return;
      case 'S':
        out_ += kNotSpace;
        i_ += 2;
        return;
      case 'w':
        if (!cls) out_ += '[';
        out_ += kWordItems;
        if (!cls) {
          out_ += kLatin1Numbers;
          out_ += ']';
        }
        i_ += 2;
        return;
      case 'W':
        if (cls) break;  // a negated set inside a class: left to PCRE2's own \W
        out_ += "[^";
        out_ += kWordItems;
        out_ += kLatin1Numbers;
        out_ += ']';
        i_ += 2;
        return;
      case 'h':
        if (!cls) out_ += '[';
        out_ += kHexItems;
        if (!cls) out_ += ']';
        i_ += 2;
        return;
      case 'H':
        if (cls) break;
        out_ += "[^";
        out_ += kHexItems;
        out_ += ']';
        i_ += 2;
        return;
      case 'u':
        if (is_hex(peek(2)) && is_hex(peek(3)) && is_hex(peek(4)) && is_hex(peek(5))) {
          out_ += "\\x{";
          out_.append(p_.substr(i_ + 2, 4));
          out_ += '}';
          i_ += 6;
          return;
        }
        break;
      default: break;
    }
    out_ += '\\';
    ++i_;
    copy_char();
  }

  void open_class() {
    out_ += '[';
    ++i_;
    if (peek(0) == '^') {
      out_ += '^';
      ++i_;
    }
    if (peek(0) == ']') {  // a ']' first in a class is literal in both engines
      out_ += "\\]";
      ++i_;
    }
    depth_ = 1;
  }

  void in_class(char c) {
    if (c == '[' && peek(1) == ':') {  // POSIX bracket [:alpha:], same in both
      const size_t end = p_.find(":]", i_ + 2);
      const size_t stop = end == std::string_view::npos ? i_ + 1 : end + 2;
      out_.append(p_.substr(i_, stop - i_));
      i_ = stop;
      return;
    }
    if (c == '[') {  // Oniguruma nests classes as unions; PCRE2 reads '[' as a literal
      if (peek(1) == '^') unsupported(p_, i_, "a negated class nested inside a class");
      ++depth_;
      ++i_;
      if (peek(0) == ']') {
        out_ += "\\]";
        ++i_;
      }
      return;
    }
    if (c == ']') {
      --depth_;
      if (depth_ == 0) out_ += ']';
      ++i_;
      return;
    }
    if (c == '&' && peek(1) == '&') unsupported(p_, i_, "class intersection &&");
    copy_char();
  }

  // Ruby's (?m) is PCRE2's (?s) (dot matches newline); its ^ and $ are always line anchors,
  // which PCRE2_MULTILINE gives.
  void group_flags() {
    size_t j = i_ + 2;
    while (j < p_.size() && (p_[j] == 'i' || p_[j] == 'm' || p_[j] == 'x' || p_[j] == '-')) ++j;
    if (j == i_ + 2 || j >= p_.size() || (p_[j] != ':' && p_[j] != ')')) {
      out_ += "(?";
      i_ += 2;
      return;
    }
    out_ += "(?";
    for (size_t k = i_ + 2; k < j; ++k) out_ += p_[k] == 'm' ? 's' : p_[k];
    i_ = j;
  }

  // Ruby reads {,n} as {0,n}; PCRE2 10.42 reads it as literal text.
  void brace() {
    size_t j = i_ + 2;
    while (j < p_.size() && is_digit(p_[j])) ++j;
    if (j > i_ + 2 && j < p_.size() && p_[j] == '}') {
      out_ += "{0,";
      out_.append(p_.substr(i_ + 2, j - (i_ + 2)));
      out_ += '}';
      i_ = j + 1;
      return;
    }
    out_ += '{';
    ++i_;
  }

  std::string_view p_;
  size_t i_ = 0;
  int depth_ = 0;
  std::string out_;
};

}  // namespace

std::string translate_onig_pattern(std::string_view pattern) { return Translator(pattern).run(); }

std::string escape_regex_literal(std::string_view literal) {
  std::string out;
  out.reserve(literal.size() * 2);
  for (char ch : literal) {
    const auto c = static_cast<unsigned char>(ch);
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c >= 0x80 || alnum) {
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[12];
      std::snprintf(buf, sizeof buf, "\\x{%02x}", c);
      out += buf;
    } else {
      out += '\\';
      out += ch;
    }
  }
  return out;
}

}  // namespace mwt::detail::tok
