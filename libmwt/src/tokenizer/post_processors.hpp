// The post-processors (HF TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel,
// Sequence). Each works as HF's process_encodings does, on the list of encodings (one for a
// single sequence, two for a pair, more once an earlier processor of a Sequence has split them
// into pieces), which is what makes Sequence compose as HF's does.
// Semantics: docs/tokenizers-core.md#post-processors.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace mwt::detail::tok {

using Encodings = std::vector<std::vector<TokenId>>;

class ListPostProcessor : public PostProcessor {
 public:
  virtual void process_list(Encodings& encodings, bool add_special_tokens) const = 0;
  // Every id this processor can add (the loader checks them against the vocabulary).
  virtual void special_ids(std::vector<TokenId>& out) const = 0;
  // Builds the list, runs process_list and concatenates the result.
  void process(const std::vector<TokenId>& a, const std::vector<TokenId>* b,
               bool add_special_tokens, std::vector<TokenId>& out) const final;
};

// One item of a template: a sequence ($A = 0, $B = 1) or a special token named by its key in
// `specials`. Type ids are kept for completeness; encode returns ids only.
struct TemplateItem {
  bool is_sequence = false;
  int sequence = 0;
  std::string special;
  uint32_t type_id = 0;
};
struct TemplateSpecial {
  std::string key;
  std::vector<TokenId> ids;
};

// Throws ARGUMENT when a template names a special token `specials` lacks.
std::unique_ptr<PostProcessor> make_template_processing(std::vector<TemplateItem> single,
                                                        std::vector<TemplateItem> pair,
                                                        std::vector<TemplateSpecial> specials);
std::unique_ptr<PostProcessor> make_bert_processing(TokenId cls, TokenId sep);
std::unique_ptr<PostProcessor> make_roberta_processing(TokenId cls, TokenId sep);
std::unique_ptr<PostProcessor> make_byte_level_post_processor();
std::unique_ptr<PostProcessor> make_sequence_post_processor(
    std::vector<std::unique_ptr<PostProcessor>> parts);

}  // namespace mwt::detail::tok
