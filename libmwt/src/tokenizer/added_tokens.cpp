// The added-token trie and HF's match rules (single_word, lstrip, rstrip).
#include "tokenizer/added_tokens.hpp"

#include <algorithm>

#include "tokenizer/unicode_class.hpp"

namespace mwt::detail::tok {
namespace {

// The code point that ends text[0, at) (valid UTF-8).
uint32_t char_before(std::string_view text, size_t at) {
  size_t i = at - 1;
  while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
  size_t len = 0;
  return decode_utf8_at(text, i, len);
}

}  // namespace

AddedTrie::AddedTrie() { root_.fill(-1); }

int32_t AddedTrie::child(int32_t node, unsigned char c) const {
  if (node < 0) return root_[c];
  for (const auto& [b, n] : nodes_[node].next) {
    if (b == c) return n;
  }
  return -1;
}

void AddedTrie::insert(std::string_view pattern, const Rules& rules) {
  if (pattern.empty()) return;
  int32_t node = -1;
  for (char ch : pattern) {
    const auto c = static_cast<unsigned char>(ch);
    int32_t n = child(node, c);
    if (n < 0) {
      n = static_cast<int32_t>(nodes_.size());
      nodes_.emplace_back();
      if (node < 0) {
        root_[c] = n;
      } else {
        nodes_[node].next.emplace_back(c, n);
      }
    }
    node = n;
  }
  if (nodes_[node].rule < 0) {
    nodes_[node].rule = static_cast<int32_t>(rules_.size());
    rules_.push_back(rules);
  }
}

bool AddedTrie::find(std::string_view text, size_t from, size_t& s, size_t& e,
                     int32_t& rule) const {
  for (size_t i = from; i < text.size(); ++i) {
    int32_t node = root_[static_cast<unsigned char>(text[i])];
    if (node < 0) continue;
    int32_t best = -1;
    size_t best_end = 0;
    size_t j = i;
    while (true) {
      ++j;
      if (nodes_[node].rule >= 0) {
        best = nodes_[node].rule;
        best_end = j;
      }
      if (j == text.size()) break;
      node = child(node, static_cast<unsigned char>(text[j]));
      if (node < 0) break;
    }
    if (best >= 0) {
      s = i;
      e = best_end;
      rule = best;
      return true;
    }
  }
  return false;
}

void AddedTrie::split(std::string_view text, std::vector<Stretch>& out) const {
  if (text.empty()) return;
  size_t start_offset = 0;
  size_t pos = 0;
  size_t s = 0;
  size_t e = 0;
  int32_t r = -1;
  while (pos < text.size() && find(text, pos, s, e, r)) {
    pos = e;  // the search resumes after the match, whatever the rules below make of it
    const Rules& rule = rules_[r];
    if (rule.single_word) {
      const bool start_ok = s == 0 || !is_word_char(char_before(text, s));
      size_t len = 0;
      const bool stop_ok = e == text.size() || !is_word_char(decode_utf8_at(text, e, len));
      if (!start_ok || !stop_ok) continue;
    }
    if (rule.lstrip) {
      size_t ns = s;
      while (ns > 0) {
        size_t b = ns - 1;
        while (b > 0 && (static_cast<unsigned char>(text[b]) & 0xC0) == 0x80) --b;
        size_t len = 0;
        if (!is_white_space(decode_utf8_at(text, b, len))) break;
        ns = b;
      }
      s = std::max(ns, start_offset);
    }
    if (rule.rstrip) {
      while (e < text.size()) {
        size_t len = 0;
        if (!is_white_space(decode_utf8_at(text, e, len))) break;
        e += len;
      }
    }
    if (start_offset < s) out.push_back({start_offset, s, -1});
    out.push_back({s, e, rule.id});
    start_offset = e;
  }
  if (start_offset < text.size()) out.push_back({start_offset, text.size(), -1});
}

}  // namespace mwt::detail::tok
