// The regex dialect tokenizer.json patterns are written in (Oniguruma's Ruby syntax, which
// Hugging Face tokenizers compiles them with) restated for PCRE2, so both engines agree on
// what \s, \w, \h, (?m), ^ and $ mean. Facts and the places they still differ:
// docs/tokenizers-core.md#regex.
#pragma once
#include <string>
#include <string_view>

namespace mwt::detail::tok {

// Rewrites an Oniguruma pattern into one PCRE2 (UTF, UCP, MULTILINE) reads the same way.
// Throws Error(UNSUPPORTED_FEATURE) for constructs PCRE2 cannot express (a negated class nested
// inside a class, class intersection &&), naming the pattern offset.
std::string translate_onig_pattern(std::string_view pattern);

// A pattern matching `literal` exactly (HF Split's String pattern): every ASCII character that
// is not a letter or digit is escaped.
std::string escape_regex_literal(std::string_view literal);

}  // namespace mwt::detail::tok
