// The GGUF loader's own pipeline parts (gguf_tokenizer_parts.hpp): llama.cpp's Unigram space
// rule, the BOS/EOS framing, and HF components built from their tokenizer.json text.
#include "tokenizer/gguf_tokenizer_parts.hpp"

#include <string>
#include <utility>

#include <simdjson.h>

#include "core/error.hpp"
#include "tokenizer/components.hpp"

namespace mwt::detail::tok {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581, SentencePiece's space

class UgmSpaces final : public Normalizer {
 public:
  UgmSpaces(bool prefix, bool merge) : prefix_(prefix), merge_(merge) {}
  void normalize(std::string& text) const override {
    std::string out;
    out.reserve(text.size() + text.size() / 2 + 3);
    bool prefixed = false, in_word = false;
    for (const char c : text) {
      if (c != ' ') {
        if (!in_word) {
          in_word = true;
          if ((prefix_ && !prefixed) || merge_) {
            out += kSpaceMark;
            prefixed = true;
          }
        }
        out += c;
      } else {
        in_word = false;
        if (!merge_) out += kSpaceMark;
      }
    }
    text = std::move(out);
  }

 private:
  bool prefix_, merge_;
};

class Framing final : public PostProcessor {
 public:
  Framing(std::vector<TokenId> prefix, std::vector<TokenId> suffix, std::vector<TokenId> pair)
      : prefix_(std::move(prefix)), suffix_(std::move(suffix)), pair_(std::move(pair)) {}
  void process(const std::vector<TokenId>& a, const std::vector<TokenId>* b,
               bool add_special_tokens, std::vector<TokenId>& out) const override {
    out.clear();
    if (add_special_tokens) out.insert(out.end(), prefix_.begin(), prefix_.end());
    out.insert(out.end(), a.begin(), a.end());
    if (add_special_tokens) out.insert(out.end(), suffix_.begin(), suffix_.end());
    if (b == nullptr) return;
    if (add_special_tokens) out.insert(out.end(), pair_.begin(), pair_.end());
    out.insert(out.end(), b->begin(), b->end());
    if (add_special_tokens) out.insert(out.end(), suffix_.begin(), suffix_.end());
  }
  size_t added_tokens(bool pair) const override {
    const size_t one = prefix_.size() + suffix_.size();
    return pair ? one + pair_.size() + suffix_.size() : one;
  }

 private:
  std::vector<TokenId> prefix_, suffix_, pair_;
};

template <typename Make>
auto from_text(std::string_view json, Make make) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::dom::element e;
  if (parser.parse(padded).get(e) != simdjson::SUCCESS)
    fail(Code::INTERNAL, "a built-in component definition is not JSON: " + std::string(json));
  return make(e);
}

}  // namespace

std::unique_ptr<Normalizer> make_ugm_spaces(bool prefix, bool merge_spaces) {
  return std::make_unique<UgmSpaces>(prefix, merge_spaces);
}

std::unique_ptr<PostProcessor> make_gguf_framing(std::vector<TokenId> prefix,
                                                 std::vector<TokenId> suffix,
                                                 std::vector<TokenId> pair_prefix) {
  return std::make_unique<Framing>(std::move(prefix), std::move(suffix), std::move(pair_prefix));
}

std::unique_ptr<Normalizer> normalizer_from_text(std::string_view json) {
  return from_text(json, [](simdjson::dom::element e) { return normalizer_from_json(e, "gguf"); });
}
std::unique_ptr<PreTokenizer> pre_tokenizer_from_text(std::string_view json) {
  return from_text(json,
                   [](simdjson::dom::element e) { return pre_tokenizer_from_json(e, "gguf"); });
}
std::unique_ptr<Decoder> decoder_from_text(std::string_view json) {
  return from_text(json, [](simdjson::dom::element e) { return decoder_from_json(e, "gguf"); });
}

}  // namespace mwt::detail::tok
