// SentencePiece's view of a vocabulary, shared by its BPE, Unigram, WORD and CHAR models: pieces
// by type (normal / user-defined / unused pieces are matched, unknown / control / byte pieces
// are reserved), PieceToId with reserved pieces first, and the processor's handling of unknown
// pieces (byte fallback into <0xXX>, or one unknown id for a run of them). Semantics:
// docs/tokenizers-models.md#sentencepiece.
#pragma once
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unigram_trie.hpp"

namespace mwt::detail::tok {

// sentencepiece_model.proto's SentencePiece.Type (GGUF's token_type uses the same numbers).
enum SpmType : int32_t {
  kSpmNormal = 1,
  kSpmUnknown = 2,
  kSpmControl = 3,
  kSpmUserDefined = 4,
  kSpmUnused = 5,
  kSpmByte = 6
};

struct SpmVocabConfig {
  std::vector<std::string> pieces;  // id order
  std::vector<float> scores;        // empty: all 0
  std::vector<int32_t> types;       // empty: all normal; a value outside 1..6 counts as normal
  TokenId unk = -1;                 // -1: the first piece of type unknown, if any
  bool byte_fallback = false;
};

class SpmVocab {
 public:
  // Throws ARGUMENT for sizes that disagree or an unk id out of range.
  explicit SpmVocab(SpmVocabConfig c);

  size_t size() const noexcept { return pieces_.size(); }
  const std::string& piece(TokenId id) const { return pieces_[static_cast<size_t>(id)]; }
  float score(TokenId id) const { return scores_[static_cast<size_t>(id)]; }
  int32_t type(TokenId id) const { return types_[static_cast<size_t>(id)]; }
  TokenId unk() const noexcept { return unk_; }
  bool byte_fallback() const noexcept { return byte_fallback_; }
  // Matched pieces (normal, user-defined, unused): -1 when absent.
  TokenId find_normal(std::string_view s) const;
  // sentencepiece's PieceToId: reserved pieces, then matched ones, else unk (maybe -1).
  TokenId piece_to_id(std::string_view s) const;
  std::optional<TokenId> any_piece(std::string_view s) const;  // either kind, no unk
  // Longest user-defined symbol at text[from] (0 when none).
  size_t user_defined_prefix(std::string_view text, size_t from) const;
  bool has_user_defined() const noexcept { return !user_defined_.empty(); }

  // The processor's last step over a model's (piece, id) segmentation: unknown pieces become
  // their bytes' <0xXX> ids (byte fallback) or a run of them one unknown id. Throws ARGUMENT
  // when an unknown piece needs an unk id the vocabulary lacks.
  void emit(const std::vector<std::pair<std::string_view, TokenId>>& segs,
            std::vector<TokenId>& out) const;

 private:
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::vector<int32_t> types_;
  StringMap normal_, reserved_;
  ByteTrie user_defined_;
  std::array<TokenId, 256> byte_ids_{};
  TokenId unk_ = -1;
  bool byte_fallback_ = false;
};

// The Model methods every SentencePiece model shares.
class SpmModelBase : public Model {
 public:
  explicit SpmModelBase(SpmVocabConfig c) : vocab_(std::move(c)) {}
  std::optional<TokenId> token_to_id(std::string_view token) const override {
    return vocab_.any_piece(token);
  }
  std::optional<std::string_view> id_to_token(TokenId id) const override {
    if (id < 0 || static_cast<size_t>(id) >= vocab_.size()) return std::nullopt;
    return vocab_.piece(id);
  }
  size_t vocab_size() const override { return vocab_.size(); }
  const SpmVocab& vocab() const noexcept { return vocab_; }

 protected:
  SpmVocab vocab_;
};

// sentencepiece's Unigram (unigram_model.cc EncodeOptimized): float scores, user-defined pieces
// scored length * max_score - 0.1, unused pieces skipped, unknown score min(normal) - 10.
std::unique_ptr<Model> make_spm_unigram(SpmVocabConfig c);
// sentencepiece's WORD and CHAR models: whole words (split before each U+2581) / characters
// looked up as pieces.
std::unique_ptr<Model> make_spm_word(SpmVocabConfig c);
std::unique_ptr<Model> make_spm_char(SpmVocabConfig c);

// sentencepiece's string_util::OneCharLen: the UTF-8 length the lead byte announces, clamped.
inline size_t spm_char_len(std::string_view s, size_t i) noexcept {
  static constexpr unsigned char kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  const size_t n = kLen[static_cast<unsigned char>(s[i]) >> 4];
  return n < s.size() - i ? n : s.size() - i;
}

}  // namespace mwt::detail::tok
