// Metaspace, Whitespace, WhitespaceSplit, Punctuation, Digits, BertPreTokenizer,
// CharDelimiterSplit and Sequence: HF's pre-tokenizers that split on one character class.
#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/pre_tokenizers.hpp"
#include "tokenizer/regex.hpp"

namespace mwt::detail::tok {
namespace {

class MetaspacePre final : public StreamPreTokenizer {
 public:
  MetaspacePre(std::string replacement, PrependScheme scheme, bool split)
      : repl_(std::move(replacement)), scheme_(scheme), split_(split) {}
  void stream(std::string_view text, size_t begin, PieceSink& sink) const override {
    if (text.empty()) return;
    Scratch<std::string> buf;
    const bool starts = text[0] == ' ' || text.substr(0, repl_.size()) == repl_;
    const bool prepend = !starts && (scheme_ == PrependScheme::Always ||
                                     (scheme_ == PrependScheme::First && begin == 0));
    if (prepend) *buf = repl_;
    for (char ch : text) {
      if (ch == ' ') {
        buf->append(repl_);
      } else {
        buf->push_back(ch);
      }
    }
    if (!split_) {
      sink.piece(*buf, begin);
      return;
    }
    Scratch<Matches> m;
    const std::string_view s = *buf;
    for (size_t at = s.find(repl_); at != std::string_view::npos; at = s.find(repl_, at + 1)) {
      m->emplace_back(at, at + repl_.size());
      if (repl_.empty()) break;
    }
    emit_splits(s, begin, *m, SplitBehavior::MergedWithNext, false, sink);
  }

 private:
  std::string repl_;
  PrependScheme scheme_;
  bool split_;
};

// One character class, one behaviour: WhitespaceSplit, Punctuation, Digits, CharDelimiterSplit.
template <typename Pred>
class CharClassPre final : public StreamPreTokenizer {
 public:
  CharClassPre(Pred pred, SplitBehavior behavior) : pred_(pred), behavior_(behavior) {}
  void stream(std::string_view text, size_t begin, PieceSink& sink) const override {
    Scratch<Matches> m;
    char_matches(text, pred_, *m);
    emit_splits(text, begin, *m, behavior_, false, sink);
  }

 private:
  Pred pred_;
  SplitBehavior behavior_;
};

template <typename Pred>
std::unique_ptr<PreTokenizer> char_class(Pred pred, SplitBehavior behavior) {
  return std::make_unique<CharClassPre<Pred>>(pred, behavior);
}

// HF compiles Whitespace's \w+|[^\w\s]+ with the Rust regex crate, not Oniguruma: its \w is
// Unicode's word class (Alphabetic, marks, decimal digits, connector punctuation and
// Join_Control, so ZWJ is a word character here), spelled out below.
class WhitespacePre final : public StreamPreTokenizer {
 public:
  WhitespacePre()
      : re_("[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]+|"
            "[^\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}\\p{White_Space}]+") {}
  void stream(std::string_view text, size_t begin, PieceSink& sink) const override {
    Scratch<Matches> m;
    re_.find_all_valid(text, *m);
    emit_splits(text, begin, *m, SplitBehavior::Removed, true, sink);
  }

 private:
  Regex re_;
};

// BertPreTokenizer: whitespace removed, then each punctuation character isolated.
class BertPre final : public StreamPreTokenizer {
 public:
  void stream(std::string_view text, size_t begin, PieceSink& sink) const override {
    Scratch<Matches> m;
    char_matches(text, is_white_space, *m);
    PunctSink punct(sink);
    emit_splits(text, begin, *m, SplitBehavior::Removed, false, punct);
  }

 private:
  class PunctSink final : public PieceSink {
   public:
    explicit PunctSink(PieceSink& next) : next_(next) {}
    void piece(std::string_view text, size_t begin) override {
      Scratch<Matches> m;
      char_matches(text, is_punctuation, *m);
      emit_splits(text, begin, *m, SplitBehavior::Isolated, false, next_);
    }

   private:
    PieceSink& next_;
  };
};

class SequencePre final : public StreamPreTokenizer {
 public:
  explicit SequencePre(std::vector<std::unique_ptr<PreTokenizer>> parts)
      : parts_(std::move(parts)) {
    for (const auto& p : parts_) {
      if (!p) fail(Code::ARGUMENT, "a Sequence pre-tokenizer part is null");
      streams_.push_back(dynamic_cast<const StreamPreTokenizer*>(p.get()));
    }
  }
  void stream(std::string_view text, size_t begin, PieceSink& sink) const override {
    Stage s(*this, 0, sink);
    s.piece(text, begin);
  }

 private:
  // Feeds what reaches it to part `i`, whose output goes to the next stage.
  class Stage final : public PieceSink {
   public:
    Stage(const SequencePre& seq, size_t i, PieceSink& last) : seq_(seq), i_(i), last_(last) {}
    void piece(std::string_view text, size_t begin) override {
      if (i_ == seq_.parts_.size()) {
        last_.piece(text, begin);
        return;
      }
      Stage next(seq_, i_ + 1, last_);
      if (const StreamPreTokenizer* s = seq_.streams_[i_]) {
        s->stream(text, begin, next);
      } else {
        stream_any(*seq_.parts_[i_], text, begin, next);
      }
    }

   private:
    const SequencePre& seq_;
    size_t i_;
    PieceSink& last_;
  };
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
  std::vector<const StreamPreTokenizer*> streams_;  // null for a part that only has split()
};

bool is_white(uint32_t c) { return is_white_space(c); }
bool is_punct(uint32_t c) { return is_punctuation(c); }
bool is_num(uint32_t c) { return is_numeric(c); }

}  // namespace

std::unique_ptr<PreTokenizer> make_metaspace_scheme(std::string replacement, PrependScheme scheme,
                                                    bool split) {
  if (replacement.empty()) fail(Code::ARGUMENT, "Metaspace replacement is empty");
  return std::make_unique<MetaspacePre>(std::move(replacement), scheme, split);
}

std::unique_ptr<PreTokenizer> make_metaspace(std::string replacement, bool prepend_first,
                                             bool split) {
  return make_metaspace_scheme(std::move(replacement),
                               prepend_first ? PrependScheme::First : PrependScheme::Never, split);
}

std::unique_ptr<PreTokenizer> make_whitespace() { return std::make_unique<WhitespacePre>(); }

std::unique_ptr<PreTokenizer> make_whitespace_split() {
  return char_class(&is_white, SplitBehavior::Removed);
}

std::unique_ptr<PreTokenizer> make_punctuation(SplitBehavior behavior) {
  return char_class(&is_punct, behavior);
}

std::unique_ptr<PreTokenizer> make_digits(bool individual_digits) {
  return char_class(&is_num,
                    individual_digits ? SplitBehavior::Isolated : SplitBehavior::Contiguous);
}

std::unique_ptr<PreTokenizer> make_bert_pre_tokenizer() { return std::make_unique<BertPre>(); }

std::unique_ptr<PreTokenizer> make_char_delimiter_split(uint32_t delimiter) {
  return char_class([delimiter](uint32_t c) { return c == delimiter; }, SplitBehavior::Removed);
}

std::unique_ptr<PreTokenizer> make_sequence_pre_tokenizer(
    std::vector<std::unique_ptr<PreTokenizer>> parts) {
  return std::make_unique<SequencePre>(std::move(parts));
}

}  // namespace mwt::detail::tok
