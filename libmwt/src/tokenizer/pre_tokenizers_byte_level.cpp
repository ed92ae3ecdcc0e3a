// ByteLevel (GPT-2's pre-tokenizer: optional prefix space, the GPT-2 split, every byte mapped
// to a printable character) and Split (a regex or literal pattern with HF's behaviours).
#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/pre_tokenizers.hpp"
#include "tokenizer/regex.hpp"
#include "tokenizer/regex_syntax.hpp"

namespace mwt::detail::tok {

const char* const kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

namespace {

// bytes_to_unicode: the printable bytes ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand for
// themselves; the other 68 take U+0100, U+0101, ... in byte order.
struct Alphabet {
  ByteLevelChar c[256];
  Alphabet() {
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const uint32_t cp = printable ? b : next++;
      if (cp < 0x80) {
        c[b] = {{static_cast<char>(cp), 0}, 1};
      } else {
        c[b] = {{static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))}, 2};
      }
    }
  }
};

const Regex& gpt2_regex() {
  static const Regex re(kGpt2Pattern);
  return re;
}

// Maps each piece it receives to the byte-level alphabet before passing it on.
class MapSink final : public PieceSink {
 public:
  explicit MapSink(PieceSink& next) : next_(next) {}
  void piece(std::string_view text, size_t begin) override {
    Scratch<std::string> buf;
    append_byte_level(*buf, text);
    next_.piece(*buf, begin);
  }

 private:
  PieceSink& next_;
};

class ByteLevelPre final : public StreamPreTokenizer {
 public:
  ByteLevelPre(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {
    if (use_regex_) gpt2_regex();  // compile up front, not on the first encode
  }
  void stream(std::string_view text, size_t begin, PieceSink& sink) const override {
    if (text.empty()) return;
    Scratch<std::string> prefixed;
    std::string_view src = text;
    if (add_prefix_space_ && text[0] != ' ') {
      prefixed->push_back(' ');
      prefixed->append(text);
      src = *prefixed;
    }
    MapSink map(sink);
    if (!use_regex_) {
      map.piece(src, begin);
      return;
    }
    Scratch<Matches> m;
    gpt2_regex().find_all_valid(src, *m);
    emit_splits(src, begin, *m, SplitBehavior::Isolated, false, map);
  }

 private:
  bool add_prefix_space_;
  bool use_regex_;
};

class SplitPre final : public StreamPreTokenizer {
 public:
  SplitPre(const std::string& pattern, SplitBehavior behavior, bool invert)
      : re_(pattern), behavior_(behavior), invert_(invert) {}
  void stream(std::string_view text, size_t begin, PieceSink& sink) const override {
    Scratch<Matches> m;
    re_.find_all_valid(text, *m);
    emit_splits(text, begin, *m, behavior_, invert_, sink);
  }

 private:
  Regex re_;
  SplitBehavior behavior_;
  bool invert_;
};

}  // namespace

const ByteLevelChar* byte_level_alphabet() {
  static const Alphabet a;
  return a.c;
}

void append_byte_level(std::string& out, std::string_view bytes) {
  const ByteLevelChar* a = byte_level_alphabet();
  out.reserve(out.size() + bytes.size() * 2);
  for (char ch : bytes) {
    const ByteLevelChar& c = a[static_cast<unsigned char>(ch)];
    out.append(c.bytes, c.len);
  }
}

std::unique_ptr<PreTokenizer> make_byte_level(bool add_prefix_space, bool use_regex) {
  return std::make_unique<ByteLevelPre>(add_prefix_space, use_regex);
}

std::unique_ptr<PreTokenizer> make_split(std::string_view pattern, bool is_regex,
                                         SplitBehavior behavior, bool invert) {
  const std::string p = is_regex ? std::string(pattern) : escape_regex_literal(pattern);
  return std::make_unique<SplitPre>(p, behavior, invert);
}

std::unique_ptr<PreTokenizer> make_regex_split(std::string_view pattern) {
  return make_split(pattern, true, SplitBehavior::Isolated, false);
}

}  // namespace mwt::detail::tok
