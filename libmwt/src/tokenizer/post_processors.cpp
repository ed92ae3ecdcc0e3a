// TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel and Sequence on lists of
// encodings, as HF's process_encodings.
#include "tokenizer/post_processors.hpp"

#include "core/error.hpp"

namespace mwt::detail::tok {
namespace {

void append(std::vector<TokenId>& out, const std::vector<TokenId>& v) {
  out.insert(out.end(), v.begin(), v.end());
}

class TemplatePost final : public ListPostProcessor {
 public:
  TemplatePost(std::vector<TemplateItem> single, std::vector<TemplateItem> pair,
               std::vector<TemplateSpecial> specials)
      : single_(std::move(single)), pair_(std::move(pair)), specials_(std::move(specials)) {
    for (const auto* t : {&single_, &pair_}) {
      for (const TemplateItem& item : *t) {
        if (item.is_sequence) {
          if (item.sequence != 0 && item.sequence != 1) {
            fail(Code::ARGUMENT, "template sequence must be A or B");
          }
        } else if (!find(item.special)) {
          fail(Code::ARGUMENT, "template names special token \"" +
                                   escape_for_message(item.special) +
                                   "\", which special_tokens does not define");
        }
      }
    }
  }
  void process_list(Encodings& encs, bool add) const override {
    if (encs.size() != 1 && encs.size() != 2) {
      fail(Code::ARGUMENT, "TemplateProcessing got " + std::to_string(encs.size()) +
                               " encodings (an earlier processor of the Sequence split them)");
    }
    const auto& tmpl = encs.size() == 1 ? single_ : pair_;
    Encodings out;
    out.reserve(tmpl.size());
    for (const TemplateItem& item : tmpl) {
      if (item.is_sequence) {
        if (static_cast<size_t>(item.sequence) >= encs.size()) {
          fail(Code::ARGUMENT, "the single template refers to sequence B");
        }
        out.push_back(encs[item.sequence]);
      } else if (add) {
        out.push_back(find(item.special)->ids);
      }
    }
    encs.swap(out);
  }
  void special_ids(std::vector<TokenId>& out) const override {
    for (const TemplateSpecial& s : specials_) out.insert(out.end(), s.ids.begin(), s.ids.end());
  }
  size_t added_tokens(bool pair) const override {
    size_t n = 0;
    for (const TemplateItem& item : pair ? pair_ : single_) {
      if (!item.is_sequence) n += find(item.special)->ids.size();
    }
    return n;
  }

 private:
  const TemplateSpecial* find(const std::string& key) const {
    for (const TemplateSpecial& s : specials_) {
      if (s.key == key) return &s;
    }
    return nullptr;
  }
  std::vector<TemplateItem> single_, pair_;
  std::vector<TemplateSpecial> specials_;
};

// Bert: [CLS] A [SEP] (B [SEP]); Roberta: <s> A </s> (</s> B </s>).
class ClsSepPost final : public ListPostProcessor {
 public:
  ClsSepPost(TokenId cls, TokenId sep, bool roberta) : cls_(cls), sep_(sep), roberta_(roberta) {}
  void process_list(Encodings& encs, bool add) const override {
    if (!add) return;
    for (size_t i = 0; i < encs.size(); ++i) {
      std::vector<TokenId> e;
      e.reserve(encs[i].size() + 2);
      if (i == 0) {
        e.push_back(cls_);
      } else if (roberta_) {
        e.push_back(sep_);
      }
      append(e, encs[i]);
      e.push_back(sep_);
      encs[i].swap(e);
    }
  }
  void special_ids(std::vector<TokenId>& out) const override {
    out.push_back(cls_);
    out.push_back(sep_);
  }
  size_t added_tokens(bool pair) const override {
    if (!pair) return 2;
    return roberta_ ? 4 : 3;
  }

 private:
  TokenId cls_, sep_;
  bool roberta_;
};

// ByteLevel only trims offsets, which encode does not return.
class ByteLevelPost final : public ListPostProcessor {
 public:
  void process_list(Encodings&, bool) const override {}
  void special_ids(std::vector<TokenId>&) const override {}
  size_t added_tokens(bool) const override { return 0; }
};

class SequencePost final : public ListPostProcessor {
 public:
  explicit SequencePost(std::vector<std::unique_ptr<PostProcessor>> parts)
      : parts_(std::move(parts)) {
    for (const auto& p : parts_) {
      const auto* l = dynamic_cast<const ListPostProcessor*>(p.get());
      if (!l) fail(Code::ARGUMENT, "a Sequence post-processor part is null or not list-based");
      lists_.push_back(l);
    }
  }
  void process_list(Encodings& encs, bool add) const override {
    for (const ListPostProcessor* p : lists_) p->process_list(encs, add);
  }
  void special_ids(std::vector<TokenId>& out) const override {
    for (const ListPostProcessor* p : lists_) p->special_ids(out);
  }
  size_t added_tokens(bool pair) const override {
    size_t n = 0;
    for (const ListPostProcessor* p : lists_) n += p->added_tokens(pair);
    return n;
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> parts_;
  std::vector<const ListPostProcessor*> lists_;
};

}  // namespace

void ListPostProcessor::process(const std::vector<TokenId>& a, const std::vector<TokenId>* b,
                                bool add_special_tokens, std::vector<TokenId>& out) const {
  Encodings encs;
  encs.reserve(2);
  encs.push_back(a);
  if (b) encs.push_back(*b);
  process_list(encs, add_special_tokens);
  size_t n = 0;
  for (const auto& e : encs) n += e.size();
  out.clear();
  out.reserve(n);
  for (const auto& e : encs) append(out, e);
}

std::unique_ptr<PostProcessor> make_template_processing(std::vector<TemplateItem> single,
                                                        std::vector<TemplateItem> pair,
                                                        std::vector<TemplateSpecial> specials) {
  return std::make_unique<TemplatePost>(std::move(single), std::move(pair), std::move(specials));
}

std::unique_ptr<PostProcessor> make_bert_processing(TokenId cls, TokenId sep) {
  return std::make_unique<ClsSepPost>(cls, sep, false);
}

std::unique_ptr<PostProcessor> make_roberta_processing(TokenId cls, TokenId sep) {
  return std::make_unique<ClsSepPost>(cls, sep, true);
}

std::unique_ptr<PostProcessor> make_byte_level_post_processor() {
  return std::make_unique<ByteLevelPost>();
}

std::unique_ptr<PostProcessor> make_sequence_post_processor(
    std::vector<std::unique_ptr<PostProcessor>> parts) {
  return std::make_unique<SequencePost>(std::move(parts));
}

}  // namespace mwt::detail::tok
