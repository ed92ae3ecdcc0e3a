// HF tokenizers' normalizers over mwt's UTF-8 strings: Unicode forms, Lowercase, Strip,
// StripAccents, Replace, Prepend, BertNormalizer, Nmt, ByteLevel and Sequence. Code points are
// rewritten one at a time as HF's NormalizedString does; an invalid UTF-8 byte (which HF's Rust
// strings cannot hold) passes through every normalizer unchanged.
#include "tokenizer/normalizers.hpp"

#include <utility>
#include <vector>

#include "tokenizer/components.hpp"
#include "tokenizer/regex.hpp"

namespace mwt::detail::tok {

namespace {

// Calls f(cp, bytes) for every code point of `text` (cp = kInvalidCp for an invalid byte run).
template <typename F>
void for_each_char(std::string_view text, F&& f) {
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    const size_t len = utf8_decode(text, i, cp);
    f(cp, text.substr(i, len));
    i += len;
  }
}

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(NormalForm form) : form_(form) {}
  void normalize(std::string& text) const override {
    bool ascii = true;  // ASCII is its own normal form in all four
    for (char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (!ascii) text = normalize_unicode(text, form_);
  }

 private:
  NormalForm form_;
};

std::string lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for_each_char(text, [&](char32_t cp, std::string_view raw) {
    if (cp == kInvalidCp)
      out.append(raw);
    else
      append_lowercase(out, cp);
  });
  return out;
}

class LowercaseNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override { text = lowercase(text); }
};

class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    size_t begin = 0, end = text.size();
    if (left_) {
      while (begin < end) {
        char32_t cp;
        const size_t len = utf8_decode(text, begin, cp);
        if (cp == kInvalidCp || !is_rust_whitespace(cp)) break;
        begin += len;
      }
    }
    if (right_) {
      while (end > begin) {
        size_t start = end - 1;  // back to the lead byte of the last character
        while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        char32_t cp;
        const size_t len = utf8_decode(text, start, cp);
        if (cp == kInvalidCp || start + len != end || !is_rust_whitespace(cp)) break;
        end = start;
      }
    }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

class StripAccentsNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size());
    for_each_char(text, [&](char32_t cp, std::string_view raw) {
      if (cp == kInvalidCp || !is_hf_combining_mark(cp)) out.append(raw);
    });
    text.swap(out);
  }
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(std::string pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string& text) const override {
    text = replace_literal(text, pattern_, content_);
  }

 private:
  std::string pattern_, content_;
};

class ReplaceRegexNormalizer final : public Normalizer {
 public:
  ReplaceRegexNormalizer(std::string_view pattern, std::string content)
      : regex_(pattern), content_(std::move(content)) {}
  void normalize(std::string& text) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    regex_.find_all(text, matches);
    if (matches.empty()) return;
    std::string out;
    size_t last = 0;
    for (const auto& [b, e] : matches) {
      out.append(text, last, b - last);
      out += content_;
      last = e;
    }
    out.append(text, last);
    text.swap(out);
  }

 private:
  Regex regex_;
  std::string content_;
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class BertNormalizer final : public Normalizer {
 public:
  BertNormalizer(bool clean, bool chinese, bool strip, bool lower)
      : clean_(clean), chinese_(chinese), strip_(strip), lower_(lower) {}
  void normalize(std::string& text) const override {
    std::string out;
    if (clean_ || chinese_) {
      out.reserve(text.size());
      for_each_char(text, [&](char32_t cp, std::string_view raw) {
        if (cp == kInvalidCp) {
          out.append(raw);
        } else if (clean_ && (cp == 0 || cp == 0xFFFD || is_bert_control(cp))) {
          // dropped
        } else if (clean_ && (cp == '\t' || cp == '\n' || cp == '\r' || is_rust_whitespace(cp))) {
          out.push_back(' ');
        } else if (chinese_ && is_chinese_char(cp)) {
          out.push_back(' ');
          out.append(raw);
          out.push_back(' ');
        } else {
          out.append(raw);
        }
      });
      text.swap(out);
    }
    if (strip_) {
      const std::string nfd = normalize_unicode(text, NormalForm::NFD);
      out.clear();
      out.reserve(nfd.size());
      for_each_char(nfd, [&](char32_t cp, std::string_view raw) {
        if (cp == kInvalidCp || !is_bert_nonspacing_mark(cp)) out.append(raw);
      });
      text.swap(out);
    }
    if (lower_) text = lowercase(text);
  }

 private:
  bool clean_, chinese_, strip_, lower_;
};

class NmtNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size());
    for_each_char(text, [&](char32_t c, std::string_view raw) {
      if ((c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
          c == 0x8F || c == 0x9F)
        return;
      if (c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x1680 ||
          (c >= 0x200B && c <= 0x200F) || c == 0x2028 || c == 0x2029 || c == 0x2581 ||
          c == 0xFEFF || c == 0xFFFD)
        out.push_back(' ');
      else
        out.append(raw);
    });
    text.swap(out);
  }
};

class ByteLevelNormalizer final : public Normalizer {
 public:
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size() * 2);
    for (char c : text) utf8_append(out, byte_level_char(static_cast<uint8_t>(c)));
    text.swap(out);
  }
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts)
      : parts_(std::move(parts)) {}
  void normalize(std::string& text) const override {
    for (const auto& p : parts_)
      if (p) p->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

}  // namespace

std::string replace_literal(std::string_view text, std::string_view pattern,
                            std::string_view content) {
  if (pattern.empty()) return std::string(text);
  std::string out;
  size_t last = 0;
  for (size_t at = text.find(pattern); at != std::string_view::npos;
       at = text.find(pattern, last)) {
    out.append(text.substr(last, at - last));
    out.append(content);
    last = at + pattern.size();
  }
  out.append(text.substr(last));
  return out;
}

std::unique_ptr<Normalizer> make_unicode_normalizer(NormalForm form) {
  return std::make_unique<UnicodeNormalizer>(form);
}
std::unique_ptr<Normalizer> make_lowercase() { return std::make_unique<LowercaseNormalizer>(); }
std::unique_ptr<Normalizer> make_strip_normalizer(bool left, bool right) {
  return std::make_unique<StripNormalizer>(left, right);
}
std::unique_ptr<Normalizer> make_strip_accents() {
  return std::make_unique<StripAccentsNormalizer>();
}
std::unique_ptr<Normalizer> make_replace_normalizer(std::string pattern, std::string content) {
  return std::make_unique<ReplaceNormalizer>(std::move(pattern), std::move(content));
}
std::unique_ptr<Normalizer> make_replace_regex_normalizer(std::string_view pattern,
                                                          std::string content) {
  return std::make_unique<ReplaceRegexNormalizer>(pattern, std::move(content));
}
std::unique_ptr<Normalizer> make_prepend(std::string prefix) {
  return std::make_unique<PrependNormalizer>(std::move(prefix));
}
std::unique_ptr<Normalizer> make_bert_normalizer(bool clean_text, bool handle_chinese_chars,
                                                 std::optional<bool> strip_accents,
                                                 bool lowercase) {
  return std::make_unique<BertNormalizer>(clean_text, handle_chinese_chars,
                                          strip_accents.value_or(lowercase), lowercase);
}
std::unique_ptr<Normalizer> make_nmt() { return std::make_unique<NmtNormalizer>(); }
std::unique_ptr<Normalizer> make_byte_level_normalizer() {
  return std::make_unique<ByteLevelNormalizer>();
}
std::unique_ptr<Normalizer> make_sequence_normalizer(
    std::vector<std::unique_ptr<Normalizer>> parts) {
  return std::make_unique<SequenceNormalizer>(std::move(parts));
}

}  // namespace mwt::detail::tok
