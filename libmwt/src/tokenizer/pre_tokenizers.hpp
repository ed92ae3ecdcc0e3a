// The pre-tokenizers' shared machinery: a streaming form of PreTokenizer (each output piece goes
// straight to a sink, so encode builds no piece lists), HF's split behaviours over a list of
// matches, and per-thread scratch buffers. The classes themselves live in pre_tokenizers_*.cpp;
// their semantics: docs/tokenizers-core.md#pre-tokenizers.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unicode_class.hpp"

namespace mwt::detail::tok {

class PieceSink {
 public:
  // `text` is valid only during the call; `begin` is the original-input offset of text[0]
  // (exact without a normalizer; after one, only "is it 0" is meaningful).
  virtual void piece(std::string_view text, size_t begin) = 0;

 protected:
  ~PieceSink() = default;
};

class StreamPreTokenizer : public PreTokenizer {
 public:
  // Splits `text` (one piece, valid UTF-8) and hands each non-empty result to `sink`.
  virtual void stream(std::string_view text, size_t begin, PieceSink& sink) const = 0;
  void split(std::vector<Piece>& pieces) const final;
};

// Runs any pre-tokenizer (ours streaming, a foreign one through split()) over one piece.
void stream_any(const PreTokenizer& pre, std::string_view text, size_t begin, PieceSink& sink);

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

using Matches = std::vector<std::pair<size_t, size_t>>;

// HF's NormalizedString::split: `matches` (sorted, non-overlapping [s, e) ranges) cut `text`
// into match / non-match runs, `invert` swaps the two, `behavior` decides what is kept and what
// is merged; every non-empty result goes to `sink`.
void emit_splits(std::string_view text, size_t begin, const Matches& matches,
                 SplitBehavior behavior, bool invert, PieceSink& sink);

// Every character for which `pred` holds, as a one-character match (HF's Fn(char) pattern).
template <typename Pred>
void char_matches(std::string_view text, Pred pred, Matches& out) {
  for (size_t i = 0; i < text.size();) {
    size_t len = 0;
    const uint32_t c = decode_utf8_at(text, i, len);
    if (pred(c)) out.emplace_back(i, i + len);
    i += len;
  }
}

// A per-thread object borrowed for the lifetime of the Scratch; nested pre-tokenizers each get
// their own, and nothing is allocated again once the pool has grown. T needs clear().
template <typename T>
class Scratch {
 public:
  Scratch() {
    Pool& p = pool();
    if (p.used == p.items.size()) p.items.push_back(std::make_unique<T>());
    t_ = p.items[p.used++].get();
    t_->clear();
  }
  ~Scratch() { --pool().used; }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T& operator*() { return *t_; }
  T* operator->() { return t_; }

 private:
  struct Pool {
    std::vector<std::unique_ptr<T>> items;
    size_t used = 0;
  };
  static Pool& pool() {
    thread_local Pool p;
    return p;
  }
  T* t_;
};

// Metaspace's prepend scheme (HF PrependScheme).
enum class PrependScheme { Always, First, Never };

std::unique_ptr<PreTokenizer> make_split(std::string_view pattern, bool is_regex,
                                         SplitBehavior behavior, bool invert);
std::unique_ptr<PreTokenizer> make_metaspace_scheme(std::string replacement, PrependScheme scheme,
                                                    bool split);
std::unique_ptr<PreTokenizer> make_whitespace();
std::unique_ptr<PreTokenizer> make_whitespace_split();
std::unique_ptr<PreTokenizer> make_punctuation(SplitBehavior behavior);
std::unique_ptr<PreTokenizer> make_digits(bool individual_digits);
std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer();
std::unique_ptr<PreTokenizer> make_char_delimiter_split(uint32_t delimiter);
std::unique_ptr<PreTokenizer> make_sequence_pre_tokenizer(
    std::vector<std::unique_ptr<PreTokenizer>> parts);

// The GPT-2 split pattern ByteLevel applies when use_regex is set.
extern const char* const kGpt2Pattern;

// GPT-2's byte -> printable-character table (bytes_to_unicode), as UTF-8 (one or two bytes).
struct ByteLevelChar {
  char bytes[2];
  uint8_t len;
};
const ByteLevelChar* byte_level_alphabet();  // 256 entries
void append_byte_level(std::string& out, std::string_view bytes);

}  // namespace mwt::detail::tok
