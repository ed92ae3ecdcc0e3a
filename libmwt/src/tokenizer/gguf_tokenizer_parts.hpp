// Pipeline parts the GGUF loader needs that no Hugging Face component spells exactly: llama.cpp's
// Unigram whitespace handling, and the BOS / EOS / SEP framing llama.cpp adds on encode. Parts
// HF has (BertNormalizer, Prepend + Replace, the LLaMA decoder chain) come from their
// tokenizer.json definitions instead (components_from_json below).
#pragma once
#include <memory>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace mwt::detail::tok {

// llama.cpp's UGM normalization of spaces (after the charsmap): each space becomes U+2581,
// except that with `merge_spaces` (remove_extra_whitespaces) runs of spaces collapse into one
// U+2581 written before each word and leading / trailing spaces vanish; `prefix`
// (add_space_prefix) writes U+2581 before the first word.
std::unique_ptr<Normalizer> make_ugm_spaces(bool prefix, bool merge_spaces);

// Frames a sequence as `prefix A suffix`, a pair as `prefix A suffix pair_prefix B suffix`.
std::unique_ptr<PostProcessor> make_gguf_framing(std::vector<TokenId> prefix,
                                                 std::vector<TokenId> suffix,
                                                 std::vector<TokenId> pair_prefix);

// A component from its tokenizer.json text (one object), through the *_from_json parsers.
std::unique_ptr<Normalizer> normalizer_from_text(std::string_view json);
std::unique_ptr<PreTokenizer> pre_tokenizer_from_text(std::string_view json);
std::unique_ptr<Decoder> decoder_from_text(std::string_view json);

}  // namespace mwt::detail::tok
