// ByteTrie construction: sorted keys laid out node by node, children of a node contiguous and in
// byte order, built with an explicit work list so a hostile key length cannot exhaust the stack.
#include "tokenizer/unigram_trie.hpp"

namespace mwt::detail::tok {

void ByteTrie::build(std::vector<std::pair<std::string_view, int32_t>> keys) {
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string_view, int32_t>> uniq;
  uniq.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].first.empty()) continue;
    if (i + 1 < keys.size() && keys[i + 1].first == keys[i].first) continue;  // the later wins
    uniq.push_back(keys[i]);
  }
  nodes_.assign(1, Node{});
  labels_.clear();
  targets_.clear();
  struct Task {
    uint32_t node;
    size_t lo, hi, depth;
  };
  std::vector<Task> work{{0, 0, uniq.size(), 0}};
  while (!work.empty()) {
    const Task t = work.back();
    work.pop_back();
    size_t lo = t.lo;
    if (lo < t.hi && uniq[lo].first.size() == t.depth) nodes_[t.node].value = uniq[lo++].second;
    const auto first_edge = static_cast<uint32_t>(labels_.size());
    uint32_t count = 0;
    for (size_t i = lo; i < t.hi;) {
      const char c = uniq[i].first[t.depth];
      size_t j = i;
      while (j < t.hi && uniq[j].first[t.depth] == c) ++j;
      const auto child = static_cast<uint32_t>(nodes_.size());
      nodes_.push_back(Node{});
      labels_.push_back(static_cast<uint8_t>(c));
      targets_.push_back(child);
      ++count;
      work.push_back({child, i, j, t.depth + 1});
      i = j;
    }
    nodes_[t.node].first_edge = first_edge;
    nodes_[t.node].edge_count = count;
  }
}

}  // namespace mwt::detail::tok
