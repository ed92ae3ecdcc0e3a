// SentencePiece's precompiled_charsmap: a darts-clone double-array trie of source strings whose
// values index a blob of NUL-terminated replacements. Read strictly (every unit and value is
// bounds-checked at lookup, so a hostile blob cannot read outside itself), and applied two ways:
// as HF's Precompiled normalizer does (per extended grapheme, first match) and as sentencepiece's
// own normalizer does (longest match at each position). Facts: docs/tokenizers-models.md.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mwt::detail::tok {

class CharsMap {
 public:
  // Throws Error(BAD_SYNTAX / BAD_ENCODING) naming `field` and the offset of the problem.
  // An empty blob is a map without rules.
  CharsMap(std::string_view blob, std::string_view field);

  bool empty() const noexcept { return units_.empty(); }
  // The replacement of the shortest key that is a prefix of `key` (HF's transform).
  std::optional<std::string_view> first_prefix(std::string_view key) const;
  // The byte length and replacement of the longest key that is a prefix of `key`.
  std::optional<std::pair<size_t, std::string_view>> longest_prefix(std::string_view key) const;

 private:
  template <typename F>
  void search(std::string_view key, F&& on_match) const;
  std::optional<std::string_view> replacement(uint32_t value) const;

  std::vector<uint32_t> units_;
  std::string normalized_;
};

// HF's Precompiled normalizer (tokenizer.json "Precompiled").
std::string precompiled_hf(const CharsMap& map, std::string_view text);

}  // namespace mwt::detail::tok
