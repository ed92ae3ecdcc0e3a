// SpmVocab (sentencepiece's piece table and the processor's unknown-piece handling) and its two
// simplest models, WORD and CHAR.
#include "tokenizer/sentencepiece_model_vocab.hpp"

#include <cstdio>

#include "core/error.hpp"

namespace mwt::detail::tok {

SpmVocab::SpmVocab(SpmVocabConfig c)
    : pieces_(std::move(c.pieces)),
      scores_(std::move(c.scores)),
      types_(std::move(c.types)),
      byte_fallback_(c.byte_fallback) {
  const size_t n = pieces_.size();
  if (scores_.empty()) scores_.assign(n, 0.0f);
  if (types_.empty()) types_.assign(n, kSpmNormal);
  if (scores_.size() != n || types_.size() != n)
    fail(Code::ARGUMENT,
         std::to_string(n) + " pieces but " + std::to_string(scores_.size()) + " scores and " +
             std::to_string(types_.size()) + " types",
         kNoOffset, "model.pieces");
  if (n > static_cast<size_t>(INT32_MAX))
    fail(Code::LIMIT_EXCEEDED, "more than 2^31 - 1 pieces", kNoOffset, "model.pieces");
  std::vector<std::pair<std::string_view, int32_t>> user;
  for (size_t i = 0; i < n; ++i) {
    int32_t& t = types_[i];
    if (t < kSpmNormal || t > kSpmByte) t = kSpmNormal;
    const auto id = static_cast<TokenId>(i);
    if (t == kSpmUnknown || t == kSpmControl || t == kSpmByte)
      reserved_[pieces_[i]] = id;  // a repeated piece: the later id wins (llama.cpp's map)
    else
      normal_[pieces_[i]] = id;
    if (t == kSpmUserDefined) user.emplace_back(pieces_[i], id);
    if (t == kSpmUnknown && unk_ < 0 && c.unk < 0) unk_ = id;
  }
  if (c.unk >= 0) {
    if (static_cast<size_t>(c.unk) >= n)
      fail(Code::ARGUMENT,
           "unk id " + std::to_string(c.unk) + " is outside the vocabulary of " + std::to_string(n),
           kNoOffset, "model.unk");
    unk_ = c.unk;
  }
  user_defined_.build(std::move(user));
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    byte_ids_[static_cast<size_t>(b)] = piece_to_id(name);
  }
}

TokenId SpmVocab::find_normal(std::string_view s) const {
  auto it = normal_.find(s);
  return it == normal_.end() ? -1 : it->second;
}

TokenId SpmVocab::piece_to_id(std::string_view s) const {
  if (auto it = reserved_.find(s); it != reserved_.end()) return it->second;
  if (auto it = normal_.find(s); it != normal_.end()) return it->second;
  return unk_;
}

std::optional<TokenId> SpmVocab::any_piece(std::string_view s) const {
  if (auto it = reserved_.find(s); it != reserved_.end()) return it->second;
  if (auto it = normal_.find(s); it != normal_.end()) return it->second;
  return std::nullopt;
}

size_t SpmVocab::user_defined_prefix(std::string_view text, size_t from) const {
  return user_defined_.longest_prefix(text, from).first;
}

void SpmVocab::emit(const std::vector<std::pair<std::string_view, TokenId>>& segs,
                    std::vector<TokenId>& out) const {
  bool prev_unk = false;
  for (const auto& [piece, id] : segs) {
    if (id < 0)
      fail(Code::ARGUMENT, "the text needs an unknown piece but the vocabulary has none", kNoOffset,
           "model.unk");
    const bool is_unk = id == unk_;
    if (is_unk && byte_fallback_) {
      for (char c : piece) {
        const TokenId b = byte_ids_[static_cast<uint8_t>(c)];
        if (b < 0)
          fail(Code::ARGUMENT, "no <0x..> piece for a byte and no unknown piece", kNoOffset,
               "model.unk");
        out.push_back(b);
      }
    } else if (!(is_unk && prev_unk)) {  // a run of unknown pieces is one unknown id
      out.push_back(id);
    }
    prev_unk = is_unk;
  }
}

namespace {

class SpmWordModel final : public SpmModelBase {
 public:
  using SpmModelBase::SpmModelBase;
  void tokenize(std::string_view s, std::vector<TokenId>& out) const override {
    // sentencepiece's SplitIntoWords: a new word starts at the text's start and at every U+2581.
    static constexpr std::string_view kSpace = "\xE2\x96\x81";
    std::vector<std::pair<std::string_view, TokenId>> segs;
    size_t begin = 0;
    for (size_t i = 0; i < s.size();) {
      const size_t len = spm_char_len(s, i);
      if (i > begin && s.substr(i, len) == kSpace) {
        const std::string_view w = s.substr(begin, i - begin);
        segs.emplace_back(w, vocab_.piece_to_id(w));
        begin = i;
      }
      i += len;
    }
    if (begin < s.size()) {
      const std::string_view w = s.substr(begin);
      segs.emplace_back(w, vocab_.piece_to_id(w));
    }
    vocab_.emit(segs, out);
  }
  const char* type() const override { return "WordLevel"; }
};

class SpmCharModel final : public SpmModelBase {
 public:
  using SpmModelBase::SpmModelBase;
  void tokenize(std::string_view s, std::vector<TokenId>& out) const override {
    std::vector<std::pair<std::string_view, TokenId>> segs;
    for (size_t i = 0; i < s.size();) {
      const size_t len = spm_char_len(s, i);
      const std::string_view w = s.substr(i, len);
      segs.emplace_back(w, vocab_.piece_to_id(w));
      i += len;
    }
    vocab_.emit(segs, out);
  }
  const char* type() const override { return "WordLevel"; }
};

}  // namespace

std::unique_ptr<Model> make_spm_word(SpmVocabConfig c) {
  return std::make_unique<SpmWordModel>(std::move(c));
}
std::unique_ptr<Model> make_spm_char(SpmVocabConfig c) {
  return std::make_unique<SpmCharModel>(std::move(c));
}

}  // namespace mwt::detail::tok
