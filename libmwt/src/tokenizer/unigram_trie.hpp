// The lookup structures the Unigram, SentencePiece-BPE and WordPiece models share: a string map
// with string_view lookups, and a byte trie answering "which keys are prefixes of the text at
// this position" (Unigram's lattice, SentencePiece's user-defined symbol matcher).
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mwt::detail::tok {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using StringMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class ByteTrie {
 public:
  // Keys with their values; for a key given twice the later value wins. Empty keys are never
  // matched (HF's trie and sentencepiece's double array report no empty prefix).
  void build(std::vector<std::pair<std::string_view, int32_t>> keys);
  bool empty() const noexcept { return nodes_.size() <= 1; }

  // Calls f(length, value) for every key that is a prefix of text.substr(from), shortest first;
  // f returns false to stop.
  template <typename F>
  void prefixes(std::string_view text, size_t from, F&& f) const {
    if (nodes_.empty()) return;
    uint32_t node = 0;
    for (size_t i = from; i < text.size(); ++i) {
      const Node& n = nodes_[node];
      const auto c = static_cast<uint8_t>(text[i]);
      const uint8_t* lb = labels_.data() + n.first_edge;
      const uint8_t* le = lb + n.edge_count;
      const uint8_t* it = n.edge_count <= 8 ? std::find(lb, le, c) : std::lower_bound(lb, le, c);
      if (it == le || *it != c) return;
      node = targets_[n.first_edge + static_cast<uint32_t>(it - lb)];
      if (nodes_[node].value >= 0 && !f(i + 1 - from, nodes_[node].value)) return;
    }
  }

  // The value of the longest key that is a prefix of text.substr(from): (length, value), or
  // (0, -1) when none is.
  std::pair<size_t, int32_t> longest_prefix(std::string_view text, size_t from) const {
    std::pair<size_t, int32_t> best{0, -1};
    prefixes(text, from, [&](size_t len, int32_t v) {
      best = {len, v};
      return true;
    });
    return best;
  }

 private:
  struct Node {
    uint32_t first_edge = 0;
    uint32_t edge_count = 0;
    int32_t value = -1;
  };
  std::vector<Node> nodes_;
  std::vector<uint8_t> labels_;
  std::vector<uint32_t> targets_;
};

}  // namespace mwt::detail::tok
