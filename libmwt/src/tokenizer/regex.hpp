// Regex: PCRE2 (8-bit, UTF + UCP, JIT when available) behind the one operation the tokenizers
// need: every non-overlapping match of a pattern over a UTF-8 text, as byte ranges. Compiled
// once per pattern and shared; matching is reentrant (match data per call / per thread).
// Patterns are written in tokenizer.json's dialect (Oniguruma, Ruby syntax) and rewritten for
// PCRE2 (regex_syntax.hpp).
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
  // Invalid UTF-8 in `text` is Error(BAD_ENCODING) naming the byte.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;
  // The same for text the caller has already checked to be valid UTF-8 (the check is skipped;
  // invalid input here is a caller bug).
  void find_all_valid(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;
  bool uses_jit() const;  // PCRE2 JIT-compiled the pattern

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mwt::detail::tok
