// Finding added tokens in text as HF's AddedVocabulary does: a byte trie searched
// leftmost-longest (aho-corasick's MatchKind::LeftmostLongest), then the token's single_word,
// lstrip and rstrip rules applied to each match. Semantics: docs/tokenizers-core.md#added-tokens.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace mwt::detail::tok {

// A stretch of the text: an added token (`id` >= 0) or plain text (`id` == -1). Stretches come
// in text order and cover the text, except that an rstrip match may overlap the next one
// exactly as HF's does.
struct Stretch {
  size_t begin, end;
  TokenId id;
};

class AddedTrie {
 public:
  struct Rules {
    TokenId id;
    bool single_word, lstrip, rstrip;
  };
  AddedTrie();
  // The first of equal patterns wins, as in HF's trie.
  void insert(std::string_view pattern, const Rules& rules);
  bool empty() const { return rules_.empty(); }
  // HF's find_matches: `out` gets the stretches of `text` (nothing for empty text).
  void split(std::string_view text, std::vector<Stretch>& out) const;

 private:
  // The leftmost-longest match starting at or after `from`.
  bool find(std::string_view text, size_t from, size_t& s, size_t& e, int32_t& rule) const;
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> next;
    int32_t rule = -1;
  };
  int32_t child(int32_t node, unsigned char c) const;
  std::vector<Node> nodes_;
  std::array<int32_t, 256> root_;
  std::vector<Rules> rules_;
};

}  // namespace mwt::detail::tok
