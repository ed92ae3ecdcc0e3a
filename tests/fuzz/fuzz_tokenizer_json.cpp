// fuzz_tokenizer_json: arbitrary bytes as tokenizer.json (up to the first NUL) and a text to
// encode (after it). Loading either succeeds or throws mwt::detail::Error; a loaded tokenizer
// encodes the text and a few fixed ones (invalid UTF-8 is BAD_ENCODING), every id it returns
// names a token, and decoding those ids does not fail.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/error.hpp"
#include "tokenizer/components.hpp"

namespace tok = mwt::detail::tok;

namespace {

void check_ids(const tok::Tokenizer& t, const std::vector<tok::TokenId>& ids) {
  for (tok::TokenId id : ids) {
    if (!t.id_to_token(id)) std::abort();  // an id nothing decodes
  }
  (void)t.decode(ids, false);
  (void)t.decode(ids, true);
}

void encode_checked(const tok::Tokenizer& t, std::string_view text) {
  try {
    check_ids(t, t.encode(text, true));
    check_ids(t, t.encode(text, false));
    check_ids(t, t.encode_pair(text, "b a", true));
  } catch (const mwt::detail::Error&) {
    // BAD_ENCODING for invalid UTF-8, ARGUMENT for a truncation HF refuses too, BAD_SYNTAX for
    // an unk token the vocabulary lacks, LIMIT_EXCEEDED from the regex engine's limits.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const size_t nul = all.find('\0');
  const std::string_view json = all.substr(0, nul);
  const std::string_view text = nul == std::string_view::npos ? "" : all.substr(nul + 1);
  std::unique_ptr<tok::Tokenizer> t;
  try {
    t = tok::load_tokenizer_json(json, {}, {});
  } catch (const mwt::detail::Error&) {
    return 0;
  }
  encode_checked(*t, text);
  encode_checked(*t, "Hello, world! 123 <s> \xC3\xA9\xF0\x9F\x98\x80  \n\t end");
  return 0;
}
