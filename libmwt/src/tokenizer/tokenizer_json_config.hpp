// tokenizer_config.json and special_tokens_map.json: what transformers keeps beside
// tokenizer.json (chat template, special-token strings, BOS/EOS flags, tokens to add).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace mwt::detail::tok {

struct TokenizerConfig {
  std::optional<std::string> chat_template;
  std::vector<std::pair<std::string, std::string>> chat_templates;  // the named list form
  std::optional<std::string> bos, eos, unk, pad, cls, sep, mask;
  std::optional<bool> add_bos, add_eos, clean_up_tokenization_spaces;
  std::optional<int64_t> model_max_length;
  std::vector<AddedToken> added_tokens;  // added_tokens_decoder, in id order
};

// Errors name the file and the JSON path ("tokenizer_config.json: bos_token.content").
TokenizerConfig read_tokenizer_config(std::string_view json);
// Fills the special-token strings `cfg` does not set yet.
void merge_special_tokens_map(TokenizerConfig& cfg, std::string_view json);
// Into t.info and t.special (ids looked up through t, which must be finalized).
void apply_tokenizer_config(const TokenizerConfig& cfg, Tokenizer& t);

}  // namespace mwt::detail::tok
