// Regex: PCRE2 (8-bit, UTF + UCP, JIT when available) behind the one operation the tokenizers
// need: every non-overlapping match of a pattern over a UTF-8 text, as byte ranges. Compiled
// once per pattern and shared; matching is reentrant (match data per call / per thread).
#pragma once
#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace mwt::detail::tok {

class Regex {
 public:
  // Throws Error(ARGUMENT) naming the pattern and PCRE2's message at its offset.
  explicit Regex(std::string_view pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  // Appends [begin, end) byte ranges of every match, left to right, as HF's onig/fancy-regex
  // find_iter does (an empty match advances by one character).
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mwt::detail::tok
