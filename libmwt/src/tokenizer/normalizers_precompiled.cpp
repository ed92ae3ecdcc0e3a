// The precompiled charsmap: strict reading of the double-array trie and HF's grapheme-wise
// application of it (the Precompiled normalizer of tokenizer.json).
#include "tokenizer/normalizers_precompiled.hpp"

#include <utf8proc.h>

#include <cstring>

#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/normalizers_unicode.hpp"

namespace mwt::detail::tok {

namespace {
// darts-clone unit layout (facts, docs/tokenizers-models.md#precompiled).
bool unit_has_leaf(uint32_t u) { return ((u >> 8) & 1) == 1; }
uint32_t unit_value(uint32_t u) { return u & ((1u << 31) - 1); }
uint32_t unit_label(uint32_t u) { return u & ((1u << 31) | 0xFF); }
uint32_t unit_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
}  // namespace

CharsMap::CharsMap(std::string_view blob, std::string_view field) {
  if (blob.empty()) return;
  if (blob.size() < 4)
    fail(Code::TRUNCATED, "charsmap of " + std::to_string(blob.size()) + " bytes has no trie size",
         0, std::string(field));
  uint32_t trie_bytes;
  std::memcpy(&trie_bytes, blob.data(), 4);
  if (trie_bytes % 4 != 0 || trie_bytes == 0)
    fail(Code::BAD_SYNTAX,
         "trie size " + std::to_string(trie_bytes) +
             " is not a positive "
             "multiple of 4",
         0, std::string(field));
  if (trie_bytes > blob.size() - 4)
    fail(Code::TRUNCATED,
         "trie of " + std::to_string(trie_bytes) + " bytes but " + std::to_string(blob.size() - 4) +
             " follow the size",
         4, std::string(field));
  units_.resize(trie_bytes / 4);
  std::memcpy(units_.data(), blob.data() + 4, trie_bytes);
  normalized_.assign(blob.substr(4 + trie_bytes));
  if (!utf8_valid(normalized_))
    fail(Code::BAD_ENCODING, "the replacement strings are not UTF-8", 4 + trie_bytes,
         std::string(field));
}

template <typename F>
void CharsMap::search(std::string_view key, F&& on_match) const {
  if (units_.empty()) return;
  const size_t n = units_.size();
  size_t pos = unit_offset(units_[0]);
  for (size_t i = 0; i < key.size(); ++i) {
    const auto c = static_cast<uint8_t>(key[i]);
    if (c == 0) return;  // a NUL ends the key, as in both implementations
    pos ^= c;
    if (pos >= n) return;
    const uint32_t u = units_[pos];
    if (unit_label(u) != c) return;
    pos ^= unit_offset(u);
    if (pos >= n) return;
    if (unit_has_leaf(u)) {
      if (!on_match(i + 1, unit_value(units_[pos]))) return;
    }
  }
}

std::optional<std::string_view> CharsMap::replacement(uint32_t value) const {
  // A value outside the blob or inside a character is no rule at all (HF would panic).
  if (value > normalized_.size()) return std::nullopt;
  if (value < normalized_.size() && (static_cast<uint8_t>(normalized_[value]) & 0xC0) == 0x80)
    return std::nullopt;
  const size_t end = normalized_.find('\0', value);
  std::string_view all(normalized_);
  return all.substr(value, (end == std::string::npos ? normalized_.size() : end) - value);
}

std::optional<std::string_view> CharsMap::first_prefix(std::string_view key) const {
  std::optional<std::string_view> out;
  bool found = false;
  search(key, [&](size_t, uint32_t value) {
    found = true;
    out = replacement(value);
    return false;
  });
  if (!found) return std::nullopt;
  return out;
}

std::optional<std::pair<size_t, std::string_view>> CharsMap::longest_prefix(
    std::string_view key) const {
  std::optional<std::pair<size_t, std::string_view>> out;
  search(key, [&](size_t len, uint32_t value) {
    if (auto r = replacement(value)) out = std::make_pair(len, *r);
    return true;
  });
  return out;
}

std::string precompiled_hf(const CharsMap& map, std::string_view text) {
  std::string out;
  out.reserve(text.size());
  // Split into extended grapheme clusters (UAX #29 via utf8proc); an invalid byte is its own
  // cluster and passes through.
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp;
    size_t len = utf8_decode(text, i, cp);
    if (cp == kInvalidCp) {
      out.append(text.substr(i, len));
      i += len;
      continue;
    }
    size_t end = i + len;
    int32_t state = 0;
    char32_t prev = cp;
    while (end < text.size()) {
      char32_t next;
      const size_t nlen = utf8_decode(text, end, next);
      if (next == kInvalidCp ||
          utf8proc_grapheme_break_stateful(int32_t(prev), int32_t(next), &state))
        break;
      prev = next;
      end += nlen;
    }
    const std::string_view g = text.substr(i, end - i);
    i = end;
    if (g.size() < 6) {
      if (auto r = map.first_prefix(g)) {
        out.append(*r);
        continue;
      }
    }
    for (size_t k = 0; k < g.size();) {
      char32_t c;
      const size_t clen = utf8_decode(g, k, c);
      const std::string_view part = g.substr(k, clen);
      if (auto r = map.first_prefix(part))
        out.append(*r);
      else
        out.append(part);
      k += clen;
    }
  }
  return out;
}

namespace {
class PrecompiledNormalizer final : public Normalizer {
 public:
  explicit PrecompiledNormalizer(std::string_view blob) : map_(blob, "precompiled_charsmap") {}
  void normalize(std::string& text) const override {
    if (map_.empty()) return;
    text = precompiled_hf(map_, text);
  }

 private:
  CharsMap map_;
};
}  // namespace

std::unique_ptr<Normalizer> make_precompiled(std::string_view charsmap) {
  return std::make_unique<PrecompiledNormalizer>(charsmap);
}

}  // namespace mwt::detail::tok
