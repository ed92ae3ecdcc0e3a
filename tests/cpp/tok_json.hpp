// Small tokenizer.json texts for the tokenizer-core tests: a BPE model with the given vocabulary
// and merges, and the other parts as raw JSON (null when empty).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/components.hpp"

struct TokJson {
  std::string vocab = "{}";   // JSON object
  std::string merges = "[]";  // JSON array
  std::string model_extra;    // more "key": value pairs for the model, with a leading comma
  std::string added = "[]";   // added_tokens
  std::string normalizer = "null";
  std::string pre_tokenizer = "null";
  std::string post_processor = "null";
  std::string truncation = "null";
  std::string padding = "null";

  std::string text() const {
    return R"({"version": "1.0", "truncation": )" + truncation + R"(, "padding": )" + padding +
           R"(, "added_tokens": )" + added + R"(, "normalizer": )" + normalizer +
           R"(, "pre_tokenizer": )" + pre_tokenizer + R"(, "post_processor": )" + post_processor +
           R"(, "decoder": null)" +
           R"(, "model": {"type": "BPE", "dropout": null, "unk_token": null, "vocab": )" + vocab +
           R"(, "merges": )" + merges + model_extra + "}}";
  }
  std::unique_ptr<mwt::detail::tok::Tokenizer> load(std::string_view config = {},
                                                    std::string_view special_map = {}) const {
    return mwt::detail::tok::load_tokenizer_json(text(), config, special_map);
  }
};

// An added_tokens entry.
inline std::string added_token(int id, std::string_view content, bool special, bool normalized,
                               bool single_word = false, bool lstrip = false, bool rstrip = false) {
  auto b = [](bool v) { return v ? "true" : "false"; };
  return "{\"id\": " + std::to_string(id) + ", \"content\": \"" + std::string(content) +
         "\", \"single_word\": " + b(single_word) + ", \"lstrip\": " + b(lstrip) +
         ", \"rstrip\": " + b(rstrip) + ", \"normalized\": " + b(normalized) +
         ", \"special\": " + b(special) + "}";
}

using Ids = std::vector<mwt::detail::tok::TokenId>;
