// Unigram models: Hugging Face's (make_unigram: f64 scores over every piece, unknown runs fused,
// byte fallback per fused run) and sentencepiece's (make_spm_unigram: f32 scores, user-defined
// and unused pieces treated as sentencepiece does). Both are the best-path-ending-at-each-byte
// Viterbi both libraries call "optimized". Semantics: docs/tokenizers-models.md#unigram.
#include <algorithm>
#include <array>
#include <cfloat>
#include <cstdio>
#include <limits>

#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/normalizers_unicode.hpp"
#include "tokenizer/sentencepiece_model_vocab.hpp"
#include "tokenizer/unigram_trie.hpp"

namespace mwt::detail::tok {

namespace {

constexpr double kUnkPenalty = 10.0;

class UnigramModel final : public Model {
 public:
  explicit UnigramModel(UnigramConfig c)
      : pieces_(std::move(c.pieces)), unk_(c.unk_id), byte_fallback_(c.byte_fallback) {
    if (unk_ && (*unk_ < 0 || static_cast<size_t>(*unk_) >= pieces_.size()))
      fail(Code::ARGUMENT,
           "unk_id " + std::to_string(*unk_) + " is outside the vocabulary of " +
               std::to_string(pieces_.size()),
           kNoOffset, "model.unk_id");
    std::vector<std::pair<std::string_view, int32_t>> keys;
    keys.reserve(pieces_.size());
    min_score_ = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < pieces_.size(); ++i) {
      ids_[pieces_[i].first] = static_cast<TokenId>(i);  // a repeated piece: the later id wins
      keys.emplace_back(pieces_[i].first, static_cast<int32_t>(i));
      if (pieces_[i].second < min_score_) min_score_ = pieces_[i].second;
    }
    trie_.build(std::move(keys));
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      auto it = ids_.find(std::string_view(name));
      byte_ids_[static_cast<size_t>(b)] = it == ids_.end() ? -1 : it->second;
    }
  }

  void tokenize(std::string_view s, std::vector<TokenId>& out) const override {
    if (s.empty()) return;
    struct Best {
      TokenId id = 0;
      double score = 0;
      size_t start = SIZE_MAX;  // SIZE_MAX: no path ends here yet
    };
    const size_t n = s.size();
    std::vector<Best> best(n + 1);
    const double unk_score = min_score_ - kUnkPenalty;
    for (size_t at = 0; at < n;) {
      const double here = best[at].score;
      char32_t cp;
      const size_t mblen = utf8_decode(s, at, cp);
      bool single = false;
      trie_.prefixes(s, at, [&](size_t len, int32_t id) {
        Best& t = best[at + len];
        const double cand = pieces_[static_cast<size_t>(id)].second + here;
        if (t.start == SIZE_MAX || cand > t.score) t = {id, cand, at};
        if (len == mblen) single = true;
        return true;
      });
      if (!single) {
        Best& t = best[at + mblen];
        const double cand = unk_score + here;
        if (t.start == SIZE_MAX || cand > t.score) {
          if (!unk_) missing_unk();
          t = {*unk_, cand, at};
        }
      }
      at += mblen;
    }
    // Backtrack; a run of unknown nodes becomes one string (HF's fuse_unk, on for Unigram).
    std::vector<std::pair<size_t, size_t>> spans;  // [begin, end), right to left
    size_t run_end = SIZE_MAX;                     // end of the unknown run being collected
    for (size_t end = n; end > 0;) {
      const Best& node = best[end];
      if (unk_ && node.id == *unk_) {
        if (run_end == SIZE_MAX) run_end = end;
      } else {
        if (run_end != SIZE_MAX) spans.emplace_back(end, run_end);
        run_end = SIZE_MAX;
        spans.emplace_back(node.start, end);
      }
      end = node.start;
    }
    if (run_end != SIZE_MAX) spans.emplace_back(0, run_end);
    for (size_t k = spans.size(); k-- > 0;)
      emit(s.substr(spans[k].first, spans[k].second - spans[k].first), out);
  }

  std::optional<TokenId> token_to_id(std::string_view token) const override {
    auto it = ids_.find(token);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string_view> id_to_token(TokenId id) const override {
    if (id < 0 || static_cast<size_t>(id) >= pieces_.size()) return std::nullopt;
    return pieces_[static_cast<size_t>(id)].first;
  }
  size_t vocab_size() const override { return pieces_.size(); }
  const char* type() const override { return "Unigram"; }

 private:
  [[noreturn]] static void missing_unk() {
    fail(Code::ARGUMENT, "the text needs an unknown token but the Unigram model has no unk_id",
         kNoOffset, "model.unk_id");
  }

  // HF's Unigram::tokenize for one result string: its id, else its bytes (byte fallback, when
  // every byte has a piece), else unk.
  void emit(std::string_view piece, std::vector<TokenId>& out) const {
    auto it = ids_.find(piece);
    if (it != ids_.end()) {
      out.push_back(it->second);
      return;
    }
    if (byte_fallback_) {
      bool all = true;
      for (char c : piece) all = all && byte_ids_[static_cast<uint8_t>(c)] >= 0;
      if (all) {
        for (char c : piece) out.push_back(byte_ids_[static_cast<uint8_t>(c)]);
        return;
      }
    }
    if (!unk_) missing_unk();
    out.push_back(*unk_);
  }

  std::vector<std::pair<std::string, double>> pieces_;
  StringMap ids_;
  ByteTrie trie_;
  double min_score_ = 0;
  std::optional<TokenId> unk_;
  bool byte_fallback_;
  std::array<TokenId, 256> byte_ids_{};
};

class SpmUnigramModel final : public SpmModelBase {
 public:
  explicit SpmUnigramModel(SpmVocabConfig c) : SpmModelBase(std::move(c)) {
    std::vector<std::pair<std::string_view, int32_t>> keys;
    for (size_t i = 0; i < vocab_.size(); ++i) {
      const auto id = static_cast<TokenId>(i);
      const int32_t t = vocab_.type(id);
      if (t == kSpmUnknown || t == kSpmControl || t == kSpmByte) continue;
      keys.emplace_back(vocab_.piece(id), id);
      if (t == kSpmNormal) {
        min_score_ = std::min(min_score_, vocab_.score(id));
        max_score_ = std::max(max_score_, vocab_.score(id));
      }
    }
    trie_.build(std::move(keys));
  }

  void tokenize(std::string_view s, std::vector<TokenId>& out) const override {
    if (s.empty()) return;
    struct Best {
      TokenId id = -1;
      float score = 0;
      size_t start = SIZE_MAX;
    };
    const size_t n = s.size();
    std::vector<Best> best(n + 1);
    // sentencepiece's arithmetic, as its Python wheel computes it: scores, the unknown score
    // and path scores are f32, each candidate summed and compared in f32 (which path wins a
    // near-tie depends on that rounding; tests/python/test_tokenizer_hf_parity.py holds it
    // to sentencepiece on the corpus). A user-defined piece's bonus is len * max - 0.1.
    const float unk_score = min_score_ - static_cast<float>(kUnkPenalty);
    for (size_t at = 0; at < n;) {
      const float here = best[at].score;
      const size_t mblen = spm_char_len(s, at);
      bool single = false;
      trie_.prefixes(s, at, [&](size_t len, int32_t id) {
        const int32_t t = vocab_.type(id);
        if (t == kSpmUnused) return true;
        const float score =
            t == kSpmUserDefined ? static_cast<float>(len) * max_score_ - 0.1f : vocab_.score(id);
        const float cand = score + here;
        Best& b = best[at + len];
        if (b.start == SIZE_MAX || cand > b.score) b = {id, cand, at};
        if (len == mblen) single = true;
        return true;
      });
      if (!single) {
        Best& b = best[at + mblen];
        const float cand = unk_score + here;
        if (b.start == SIZE_MAX || cand > b.score) b = {vocab_.unk(), cand, at};
      }
      at += mblen;
    }
    std::vector<std::pair<std::string_view, TokenId>> segs;
    for (size_t end = n; end > 0;) {
      const Best& b = best[end];
      segs.emplace_back(s.substr(b.start, end - b.start), b.id);
      end = b.start;
    }
    std::reverse(segs.begin(), segs.end());
    vocab_.emit(segs, out);
  }
  const char* type() const override { return "Unigram"; }

 private:
  ByteTrie trie_;
  float min_score_ = FLT_MAX;
  float max_score_ = FLT_MIN;  // sentencepiece starts from FLT_MIN (the smallest positive float)
};

}  // namespace

std::unique_ptr<Model> make_unigram(UnigramConfig config) {
  return std::make_unique<UnigramModel>(std::move(config));
}

std::unique_ptr<Model> make_spm_unigram(SpmVocabConfig c) {
  return std::make_unique<SpmUnigramModel>(std::move(c));
}

}  // namespace mwt::detail::tok
