// SentencePiece BPE (bpe_model.cc; llama.cpp's SPM tokenizer is the same algorithm): the piece is
// split into characters (user-defined symbols whole and frozen), then the adjacent pair whose
// concatenation is a piece with the highest score is merged, ties to the leftmost, until none
// is left; merges into unused pieces are undone at the end; unknown symbols go through the
// processor's byte fallback / unknown handling. Semantics: docs/tokenizers-models.md#spm-bpe.
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/components.hpp"
#include "tokenizer/sentencepiece_model_vocab.hpp"

namespace mwt::detail::tok {

namespace {

class SpmBpeModel final : public SpmModelBase {
 public:
  using SpmModelBase::SpmModelBase;

  void tokenize(std::string_view s, std::vector<TokenId>& out) const override {
    if (s.empty()) return;
    struct Symbol {
      int prev, next;
      size_t begin, len;
      bool freeze;
    };
    std::vector<Symbol> sym;
    sym.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
      size_t len = vocab_.has_user_defined() ? vocab_.user_defined_prefix(s, i) : 0;
      const bool freeze = len > 0;
      if (!freeze) len = spm_char_len(s, i);
      const int idx = static_cast<int>(sym.size());
      sym.push_back({idx - 1, i + len < s.size() ? idx + 1 : -1, i, len, freeze});
      i += len;
    }
    struct Pair {
      int left, right;
      float score;
      size_t size;
    };
    // Highest score first; ties: the leftmost pair (sentencepiece's SymbolPairComparator).
    auto worse = [](const Pair& a, const Pair& b) {
      return a.score < b.score || (a.score == b.score && a.left > b.left);
    };
    std::priority_queue<Pair, std::vector<Pair>, decltype(worse)> agenda(worse);
    std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>> rev_merge;
    auto text = [&](int k) {
      return s.substr(sym[static_cast<size_t>(k)].begin, sym[static_cast<size_t>(k)].len);
    };
    auto maybe_add = [&](int l, int r) {
      if (l < 0 || r < 0 || sym[static_cast<size_t>(l)].freeze ||
          sym[static_cast<size_t>(r)].freeze)
        return;
      const std::string_view piece =
          s.substr(sym[static_cast<size_t>(l)].begin,
                   sym[static_cast<size_t>(l)].len + sym[static_cast<size_t>(r)].len);
      const TokenId id = vocab_.find_normal(piece);
      if (id < 0) return;
      agenda.push({l, r, vocab_.score(id), piece.size()});
      if (vocab_.type(id) == kSpmUnused) rev_merge[piece] = {text(l), text(r)};
    };
    for (size_t i = 1; i < sym.size(); ++i) maybe_add(static_cast<int>(i) - 1, static_cast<int>(i));
    while (!agenda.empty()) {
      const Pair top = agenda.top();
      agenda.pop();
      Symbol& l = sym[static_cast<size_t>(top.left)];
      Symbol& r = sym[static_cast<size_t>(top.right)];
      // A pair whose symbols changed since it was queued is stale.
      if (l.len == 0 || r.len == 0 || l.len + r.len != top.size) continue;
      l.len += r.len;
      l.next = r.next;
      if (r.next >= 0) sym[static_cast<size_t>(r.next)].prev = top.left;
      r.len = 0;
      maybe_add(l.prev, top.left);
      maybe_add(top.left, l.next);
    }
    std::vector<std::pair<std::string_view, TokenId>> segs;
    segs.reserve(sym.size());
    // Undo merges into unused pieces (sentencepiece's resegment), with an explicit stack.
    std::vector<std::string_view> stack;
    for (int k = 0; k != -1; k = sym[static_cast<size_t>(k)].next) {
      stack.push_back(text(k));
      while (!stack.empty()) {
        const std::string_view w = stack.back();
        stack.pop_back();
        const TokenId id = vocab_.piece_to_id(w);
        if (id >= 0 && vocab_.type(id) == kSpmUnused) {
          auto it = rev_merge.find(w);
          if (it != rev_merge.end()) {
            stack.push_back(it->second.second);
            stack.push_back(it->second.first);
            continue;
          }
        }
        segs.emplace_back(w, id);
      }
    }
    vocab_.emit(segs, out);
  }
  const char* type() const override { return "BPE"; }
};

}  // namespace

std::unique_ptr<Model> make_spm_bpe(SpmBpeConfig config) {
  SpmVocabConfig c;
  c.pieces = std::move(config.pieces);
  c.scores = std::move(config.scores);
  c.types = std::move(config.types);
  c.unk = config.unk;
  c.byte_fallback = config.byte_fallback;
  return std::make_unique<SpmBpeModel>(std::move(c));
}

}  // namespace mwt::detail::tok
