// The normalizers of Hugging Face tokenizers, one constructor each (tokenizer.json's
// normalizer_from_json and the SentencePiece / GGUF loaders build them). Semantics:
// docs/tokenizers-models.md#normalizers.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tokenizer/normalizers_unicode.hpp"
#include "tokenizer/tokenizer.hpp"

namespace mwt::detail::tok {

std::unique_ptr<Normalizer> make_unicode_normalizer(NormalForm form);  // NFC NFD NFKC NFKD
std::unique_ptr<Normalizer> make_lowercase();
std::unique_ptr<Normalizer> make_strip_normalizer(bool left, bool right);
std::unique_ptr<Normalizer> make_strip_accents();
// Replace every non-overlapping occurrence of a literal (an empty literal matches nothing).
std::unique_ptr<Normalizer> make_replace_normalizer(std::string pattern, std::string content);
// Replace every match of a regex (tokenizer/regex.hpp); throws ARGUMENT for a bad pattern.
std::unique_ptr<Normalizer> make_replace_regex_normalizer(std::string_view pattern,
                                                          std::string content);
std::unique_ptr<Normalizer> make_prepend(std::string prefix);
// strip_accents nullopt: follow `lowercase`, as HF does.
std::unique_ptr<Normalizer> make_bert_normalizer(bool clean_text, bool handle_chinese_chars,
                                                 std::optional<bool> strip_accents, bool lowercase);
std::unique_ptr<Normalizer> make_nmt();
std::unique_ptr<Normalizer> make_byte_level_normalizer();

// The literal and regex replacements the Replace normalizer and decoder share.
std::string replace_literal(std::string_view text, std::string_view pattern,
                            std::string_view content);

}  // namespace mwt::detail::tok
