// The handle behind mwt.h's opaque mwt_tokenizer, and the helpers the tokenizer entry points
// share (capi/tokenizer.cpp, capi/tokenizer_info.cpp).
#pragma once
#include <memory>
#include <string>

#include "capi/barrier.hpp"
#include "tokenizer/tokenizer.hpp"

struct mwt_tokenizer {
  std::unique_ptr<const mwt::detail::tok::Tokenizer> tok;
};

namespace mwt::capi {

inline const mwt::detail::tok::Tokenizer& tokenizer_of(const mwt_tokenizer* t,
                                                       const char* function) {
  if (t == nullptr || !t->tok) bad_argument(function, "tokenizer handle is NULL");
  return *t->tok;
}

// The info JSON of mwt_tokenizer_info.
std::string tokenizer_info_json(const mwt::detail::tok::Tokenizer& tok);

}  // namespace mwt::capi
