// HF tokenizers' decoders: ByteLevel, Metaspace, WordPiece, ByteFallback, Fuse, Strip, Replace,
// CTC, BPEDecoder and Sequence, each a rewrite of the token-string list (HF's decode_chain).
#include "tokenizer/decoders.hpp"

#include <utility>
#include <vector>

#include "tokenizer/components.hpp"
#include "tokenizer/normalizers.hpp"
#include "tokenizer/normalizers_unicode.hpp"
#include "tokenizer/regex.hpp"

namespace mwt::detail::tok {

namespace {

std::vector<std::string_view> chars_of(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < s.size();) {
    char32_t cp;
    const size_t len = utf8_decode(s, i, cp);
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

class ByteLevelDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& t : tokens) {
      const size_t mark = bytes.size();
      bool all = true;
      for (size_t i = 0; i < t.size() && all;) {
        char32_t cp;
        const size_t len = utf8_decode(t, i, cp);
        const int b = cp == kInvalidCp ? -1 : byte_level_byte(cp);
        if (b < 0)
          all = false;
        else
          bytes.push_back(static_cast<char>(b));
        i += len;
      }
      if (!all) {  // a token outside the alphabet contributes its own bytes (HF)
        bytes.resize(mark);
        bytes += t;
      }
    }
    tokens.assign(1, utf8_lossy(bytes));
  }
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, PrependScheme scheme)
      : replacement_(std::move(replacement)), scheme_(scheme) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      out.reserve(tokens[i].size());
      for (std::string_view c : chars_of(tokens[i])) {
        if (c == replacement_) {
          if (i == 0 && scheme_ != PrependScheme::Never) continue;
          out.push_back(' ');
        } else {
          out.append(c);
        }
      }
      tokens[i].swap(out);
    }
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
};

class WordPieceDecoder final : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup)
      : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0) {
        if (t.compare(0, prefix_.size(), prefix_) == 0)
          t.erase(0, prefix_.size());
        else
          t.insert(0, 1, ' ');
      }
      if (cleanup_) t = wordpiece_cleanup(t);
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class ByteFallbackDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    out.reserve(tokens.size());
    std::string run;
    auto flush = [&] {
      if (run.empty()) return;
      if (utf8_valid(run)) {
        out.push_back(run);
      } else {  // HF: one U+FFFD per byte of an invalid run
        for (size_t k = 0; k < run.size(); ++k) out.emplace_back("\xEF\xBF\xBD");
      }
      run.clear();
    };
    for (std::string& t : tokens) {
      const int b = parse_byte_token(t);
      if (b >= 0) {
        run.push_back(static_cast<char>(b));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens.swap(out);
  }
};

class FuseDecoder final : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class StripDecoder final : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      const std::vector<std::string_view> cs = chars_of(t);
      size_t start_cut = 0;
      for (size_t i = 0; i < cs.size() && i < start_; ++i) {
        if (cs[i] != content_) break;
        start_cut = i + 1;
      }
      // HF indexes below zero (a panic) when stop exceeds the token's length and slices
      // backwards when the cuts cross; mwt stops at the start and yields "" there.
      size_t stop_cut = cs.size();
      for (size_t i = 0; i < stop_ && i < cs.size(); ++i) {
        const size_t index = cs.size() - i - 1;
        if (cs[index] != content_) break;
        stop_cut = index;
      }
      std::string out;
      for (size_t i = start_cut; i < stop_cut; ++i) out.append(cs[i]);
      t.swap(out);
    }
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(std::string pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) t = replace_literal(t, pattern_, content_);
  }

 private:
  std::string pattern_, content_;
};

class ReplaceRegexDecoder final : public Decoder {
 public:
  ReplaceRegexDecoder(std::string_view pattern, std::string content)
      : regex_(pattern), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::pair<size_t, size_t>> m;
    for (std::string& t : tokens) {
      m.clear();
      regex_.find_all(t, m);
      if (m.empty()) continue;
      std::string out;
      size_t last = 0;
      for (const auto& [b, e] : m) {
        out.append(t, last, b - last);
        out += content_;
        last = e;
      }
      out.append(t, last);
      t.swap(out);
    }
  }

 private:
  Regex regex_;
  std::string content_;
};

class CtcDecoder final : public Decoder {
 public:
  CtcDecoder(std::string pad, std::string delim, bool cleanup)
      : pad_(std::move(pad)), delim_(std::move(delim)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0 && tokens[i] == tokens[i - 1]) continue;  // dedup consecutive repeats
      std::string r = replace_literal(tokens[i], pad_, "");
      if (cleanup_) r = replace_literal(wordpiece_cleanup(r), delim_, " ");
      if (!r.empty()) out.push_back(std::move(r));
    }
    tokens.swap(out);
  }

 private:
  std::string pad_, delim_;
  bool cleanup_;
};

class BpeDecoder final : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i)
      tokens[i] = replace_literal(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
  }

 private:
  std::string suffix_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts)
      : parts_(std::move(parts)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& p : parts_)
      if (p) p->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

int parse_byte_token(std::string_view t) noexcept {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return -1;
  // Rust's u8::from_str_radix(.., 16) on the two characters: a leading '+' is allowed.
  if (t[3] == '+') return hex_digit(t[4]);
  const int hi = hex_digit(t[3]), lo = hex_digit(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

std::string wordpiece_cleanup(std::string_view s) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},    {" ,", ","},
      {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},  {" do not", " don't"},
      {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string out(s);
  for (const auto& [from, to] : kRules) out = replace_literal(out, from, to);
  return out;
}

std::unique_ptr<Decoder> make_byte_level_decoder() { return std::make_unique<ByteLevelDecoder>(); }
std::unique_ptr<Decoder> make_metaspace_decoder(std::string replacement, bool prepend_first) {
  return std::make_unique<MetaspaceDecoder>(
      std::move(replacement), prepend_first ? PrependScheme::Always : PrependScheme::Never);
}
std::unique_ptr<Decoder> make_metaspace_decoder_scheme(std::string replacement,
                                                       PrependScheme scheme) {
  return std::make_unique<MetaspaceDecoder>(std::move(replacement), scheme);
}
std::unique_ptr<Decoder> make_byte_fallback_decoder() {
  return std::make_unique<ByteFallbackDecoder>();
}
std::unique_ptr<Decoder> make_fuse_decoder() { return std::make_unique<FuseDecoder>(); }
std::unique_ptr<Decoder> make_sequence_decoder(std::vector<std::unique_ptr<Decoder>> parts) {
  return std::make_unique<SequenceDecoder>(std::move(parts));
}
std::unique_ptr<Decoder> make_wordpiece_decoder(std::string prefix, bool cleanup) {
  return std::make_unique<WordPieceDecoder>(std::move(prefix), cleanup);
}
std::unique_ptr<Decoder> make_strip_decoder(std::string content, size_t start, size_t stop) {
  return std::make_unique<StripDecoder>(std::move(content), start, stop);
}
std::unique_ptr<Decoder> make_replace_decoder(std::string pattern, std::string content) {
  return std::make_unique<ReplaceDecoder>(std::move(pattern), std::move(content));
}
std::unique_ptr<Decoder> make_replace_regex_decoder(std::string_view pattern, std::string content) {
  return std::make_unique<ReplaceRegexDecoder>(pattern, std::move(content));
}
std::unique_ptr<Decoder> make_ctc_decoder(std::string pad_token, std::string word_delimiter,
                                          bool cleanup) {
  return std::make_unique<CtcDecoder>(std::move(pad_token), std::move(word_delimiter), cleanup);
}
std::unique_ptr<Decoder> make_bpe_decoder(std::string suffix) {
  return std::make_unique<BpeDecoder>(std::move(suffix));
}

}  // namespace mwt::detail::tok
