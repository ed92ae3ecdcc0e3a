// The decoders of Hugging Face tokenizers (each rewrites the list of token strings, HF's
// decode_chain), one constructor each beside those components.hpp declares. Semantics:
// docs/tokenizers-models.md#decoders.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tokenizer/tokenizer.hpp"

namespace mwt::detail::tok {

enum class PrependScheme { Always, Never, First };

// Metaspace with HF's prepend_scheme (make_metaspace_decoder's prepend_first is Always/Never).
std::unique_ptr<Decoder> make_metaspace_decoder_scheme(std::string replacement,
                                                       PrependScheme scheme);
std::unique_ptr<Decoder> make_wordpiece_decoder(std::string prefix, bool cleanup);
std::unique_ptr<Decoder> make_strip_decoder(std::string content, size_t start, size_t stop);
std::unique_ptr<Decoder> make_replace_decoder(std::string pattern, std::string content);
std::unique_ptr<Decoder> make_replace_regex_decoder(std::string_view pattern, std::string content);
std::unique_ptr<Decoder> make_ctc_decoder(std::string pad_token, std::string word_delimiter,
                                          bool cleanup);
std::unique_ptr<Decoder> make_bpe_decoder(std::string suffix);

// HF's WordPiece cleanup (also CTC's): " ." -> "." and the other English contractions.
std::string wordpiece_cleanup(std::string_view s);
// "<0xAB>" -> 0xAB as HF's ByteFallback reads it; -1 for anything else.
int parse_byte_token(std::string_view token) noexcept;

}  // namespace mwt::detail::tok
