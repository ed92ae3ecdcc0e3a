// WordPiece (HF's greedy longest-match-first with a continuing-subword prefix; the whole word
// becomes unk when any part has no match or the word is too long) and WordLevel (whole pieces
// looked up, else unk). Semantics: docs/tokenizers-models.md#wordpiece.
#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/normalizers_unicode.hpp"
#include "tokenizer/unigram_trie.hpp"

namespace mwt::detail::tok {

namespace {

// The vocabulary both models share: strings in id order, lookups by string (a repeated string:
// the later id wins, as HF's and llama.cpp's maps do).
class VocabModel : public Model {
 public:
  VocabModel(std::vector<std::string> vocab, const std::string& unk) : vocab_(std::move(vocab)) {
    if (vocab_.size() > static_cast<size_t>(INT32_MAX))
      fail(Code::LIMIT_EXCEEDED, "more than 2^31 - 1 tokens", kNoOffset, "model.vocab");
    ids_.reserve(vocab_.size());
    for (size_t i = 0; i < vocab_.size(); ++i) ids_[vocab_[i]] = static_cast<TokenId>(i);
    auto it = ids_.find(unk);
    if (it != ids_.end()) unk_ = it->second;
    unk_name_ = unk;
  }
  std::optional<TokenId> token_to_id(std::string_view token) const override {
    auto it = ids_.find(token);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string_view> id_to_token(TokenId id) const override {
    if (id < 0 || static_cast<size_t>(id) >= vocab_.size()) return std::nullopt;
    return vocab_[static_cast<size_t>(id)];
  }
  size_t vocab_size() const override { return vocab_.size(); }

 protected:
  TokenId unk() const {
    if (unk_ < 0)
      fail(Code::ARGUMENT,
           "the text needs the unknown token \"" + escape_for_message(unk_name_) +
               "\" but the vocabulary lacks it",
           kNoOffset, "model.unk_token");
    return unk_;
  }
  std::vector<std::string> vocab_;
  StringMap ids_;
  TokenId unk_ = -1;
  std::string unk_name_;
};

class WordPieceModel final : public VocabModel {
 public:
  explicit WordPieceModel(WordPieceConfig c)
      : VocabModel(std::move(c.vocab), c.unk_token),
        prefix_(std::move(c.continuing_subword_prefix)),
        max_chars_(c.max_input_chars_per_word) {}

  void tokenize(std::string_view s, std::vector<TokenId>& out) const override {
    if (s.empty()) return;
    if (utf8_char_count(s) > max_chars_) {
      out.push_back(unk());
      return;
    }
    const size_t mark = out.size();
    std::string buf;
    for (size_t start = 0; start < s.size();) {
      size_t end = s.size();
      TokenId found = -1;
      while (start < end) {
        std::string_view sub = s.substr(start, end - start);
        if (start > 0) {
          buf.assign(prefix_);
          buf.append(sub);
          sub = buf;
        }
        if (auto it = ids_.find(sub); it != ids_.end()) {
          found = it->second;
          break;
        }
        end -= last_char_len(s.substr(start, end - start));
      }
      if (found < 0) {  // one unmatched part makes the whole word unknown
        out.resize(mark);
        out.push_back(unk());
        return;
      }
      out.push_back(found);
      start = end;
    }
  }
  const char* type() const override { return "WordPiece"; }

 private:
  // The byte length of the last character (an invalid trailing byte counts as one).
  static size_t last_char_len(std::string_view s) {
    size_t k = s.size() - 1;
    while (k > 0 && s.size() - k < 4 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
    char32_t cp;
    const size_t len = utf8_decode(s, k, cp);
    return (cp != kInvalidCp && k + len == s.size()) ? len : 1;
  }

  std::string prefix_;
  size_t max_chars_;
};

class WordLevelModel final : public VocabModel {
 public:
  explicit WordLevelModel(WordLevelConfig c) : VocabModel(std::move(c.vocab), c.unk_token) {}
  void tokenize(std::string_view s, std::vector<TokenId>& out) const override {
    auto it = ids_.find(s);
    out.push_back(it != ids_.end() ? it->second : unk());
  }
  const char* type() const override { return "WordLevel"; }
};

}  // namespace

std::unique_ptr<Model> make_wordpiece(WordPieceConfig config) {
  return std::make_unique<WordPieceModel>(std::move(config));
}

std::unique_ptr<Model> make_wordlevel(WordLevelConfig config) {
  return std::make_unique<WordLevelModel>(std::move(config));
}

}  // namespace mwt::detail::tok
