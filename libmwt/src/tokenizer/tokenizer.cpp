// The Tokenizer pipeline: added tokens split out first (raw text, then each normalized
// stretch), then pre-tokenizer -> model on what is left, then the post-processor; decode maps
// ids back to token strings and runs the decoder. HF tokenizers' order of work:
// docs/tokenizers-core.md#pipeline.
#include "tokenizer/tokenizer.hpp"

#include <algorithm>
#include <unordered_map>

#include <simdjson.h>

#include "core/error.hpp"
#include "core/json_text.hpp"
#include "tokenizer/added_tokens.hpp"
#include "tokenizer/flat_map.hpp"
#include "tokenizer/pre_tokenizers.hpp"

namespace mwt::detail::tok {

struct Tokenizer::Matcher {
  AddedTrie raw;         // normalized == false: matched on the input as given
  AddedTrie normalized;  // normalized == true: matched on each normalized stretch
  std::unordered_map<TokenId, std::string> content_of;  // id -> content (last one wins)
  StringIdMap id_of;                                    // content -> id
  StringIdMap specials;                                 // contents of special tokens
  size_t beyond_model = 0;  // added contents the model's vocabulary lacks
};

namespace {

void require_valid_utf8(std::string_view text, const char* what) {
  if (simdjson::validate_utf8(text.data(), text.size())) return;
  const size_t at = find_invalid_utf8(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  fail(Code::BAD_ENCODING, std::string(what) + " is not valid UTF-8 at byte " + std::to_string(at));
}

class ModelSink final : public PieceSink {
 public:
  ModelSink(const Model& m, std::vector<TokenId>& out) : m_(m), out_(out) {}
  void piece(std::string_view text, size_t) override {
    if (!text.empty()) m_.tokenize(text, out_);
  }

 private:
  const Model& m_;
  std::vector<TokenId>& out_;
};

}  // namespace

void Tokenizer::finalize() {
  if (!model) fail(Code::ARGUMENT, "a tokenizer needs a model before finalize()");
  auto m = std::make_shared<Matcher>();
  // One entry per content: a later entry for the same content replaces the earlier one in
  // place (HF keeps one AddedToken per content).
  std::vector<AddedToken> list;
  std::unordered_map<std::string, size_t> where;
  for (const AddedToken& t : added) {
    if (t.content.empty()) continue;  // HF ignores empty added tokens
    if (t.id < 0) {
      fail(Code::ARGUMENT, "added token \"" + escape_for_message(t.content) + "\" has no id");
    }
    auto [it, fresh] = where.emplace(t.content, list.size());
    if (fresh) {
      list.push_back(t);
    } else {
      list[it->second] = t;
    }
  }
  added = list;
  for (const AddedToken& t : list) {
    m->content_of[t.id] = t.content;
    m->id_of.insert(t.content, t.id);
    if (t.special) m->specials.insert(t.content, t.id);
    if (!model->token_to_id(t.content)) ++m->beyond_model;
  }
  // HF's trie order: special tokens first, then the others, each in the order given.
  for (int pass = 0; pass < 2; ++pass) {
    for (const AddedToken& t : list) {
      if (t.special != (pass == 0)) continue;
      const AddedTrie::Rules r{t.id, t.single_word, t.lstrip, t.rstrip};
      if (!t.normalized) {
        m->raw.insert(t.content, r);
        continue;
      }
      std::string pattern = t.content;
      if (normalizer) normalizer->normalize(pattern);
      m->normalized.insert(pattern, r);
    }
  }
  matcher_ = std::move(m);
}

namespace {

// encode of one sequence, before post-processing.
void encode_sequence(const Tokenizer& t, const AddedTrie& raw, const AddedTrie& norm,
                     std::string_view text, std::vector<TokenId>& out) {
  Scratch<std::vector<Stretch>> outer;
  if (raw.empty()) {
    if (!text.empty()) outer->push_back({0, text.size(), -1});
  } else {
    raw.split(text, *outer);
  }
  ModelSink sink(*t.model, out);
  Scratch<std::string> normalized;
  Scratch<std::vector<Stretch>> inner;
  for (const Stretch& st : *outer) {
    if (st.id >= 0) {
      out.push_back(st.id);
      continue;
    }
    if (st.end <= st.begin) continue;
    std::string_view piece = text.substr(st.begin, st.end - st.begin);
    if (t.normalizer) {
      normalized->assign(piece);
      t.normalizer->normalize(*normalized);
      require_valid_utf8(*normalized, "the normalizer's output");
      piece = *normalized;
    }
    inner->clear();
    if (norm.empty()) {
      if (!piece.empty()) inner->push_back({0, piece.size(), -1});
    } else {
      norm.split(piece, *inner);
    }
    const size_t span = st.end - st.begin;
    for (const Stretch& in : *inner) {
      if (in.id >= 0) {
        out.push_back(in.id);
        continue;
      }
      if (in.end <= in.begin) continue;
      const std::string_view sub = piece.substr(in.begin, in.end - in.begin);
      // Without a normalizer the offset is exact; after one it only needs to be 0 exactly
      // when the stretch starts the input (Metaspace's "first" scheme asks).
      const size_t begin = st.begin + std::min(in.begin, span);
      if (t.pre_tokenizer) {
        stream_any(*t.pre_tokenizer, sub, begin, sink);
      } else {
        t.model->tokenize(sub, out);
      }
    }
  }
}

void cut(std::vector<TokenId>& v, size_t n, bool left) {
  if (v.size() <= n) return;
  if (left) v.erase(v.begin(), v.end() - static_cast<ptrdiff_t>(n));
  v.resize(n);
}

// HF's truncate_encodings, with max_length already reduced by the special tokens to come.
void truncate(const Truncation& t, size_t max, std::vector<TokenId>& a, std::vector<TokenId>* b) {
  if (max == 0) {
    a.clear();
    if (b) b->clear();
    return;
  }
  const size_t total = a.size() + (b ? b->size() : 0);
  if (total <= max) return;
  const size_t to_remove = total - max;
  if (t.strategy == Truncation::Strategy::LongestFirst) {
    if (!b) {
      cut(a, max, t.left);
      return;
    }
    size_t n1 = a.size(), n2 = b->size();
    const bool swap = n1 > n2;
    if (swap) std::swap(n1, n2);
    n2 = n1 > max ? n1 : std::max(n1, max - n1);
    if (n1 + n2 > max) {
      n1 = max / 2;
      n2 = n1 + max % 2;
    }
    if (swap) std::swap(n1, n2);
    cut(a, n1, t.left);
    cut(*b, n2, t.left);
    return;
  }
  std::vector<TokenId>* target = t.strategy == Truncation::Strategy::OnlyFirst ? &a : b;
  if (!target) fail(Code::ARGUMENT, "truncation strategy OnlySecond needs a pair of sequences");
  if (target->size() <= to_remove) {
    fail(Code::ARGUMENT, "the sequence to truncate is shorter than what must be removed");
  }
  cut(*target, target->size() - to_remove, t.left);
}

}  // namespace

// Truncation, then special tokens, then padding: the order of HF's post_process.
std::vector<TokenId> Tokenizer::finish(std::vector<TokenId>& a, std::vector<TokenId>* b,
                                       bool add_special_tokens) const {
  if (truncation) {
    size_t n_added = 0;
    if (post_processor) {
      n_added = post_processor->added_tokens(b != nullptr);
    } else {
      n_added =
          (b ? 2 : 1) * ((info.add_bos && special.bos >= 0) + (info.add_eos && special.eos >= 0));
    }
    size_t max = truncation->max_length;
    // HF subtracts without a floor: a max_length below the special-token count wraps around
    // and truncates nothing.
    const bool wraps = add_special_tokens && n_added > max;
    if (add_special_tokens) max -= std::min(max, n_added);
    if (!wraps) truncate(*truncation, max, a, b);
  }
  std::vector<TokenId> out;
  if (post_processor) {
    post_processor->process(a, b, add_special_tokens, out);
  } else {
    // No post-processor: the flags' BOS / EOS around each sequence, as transformers' slow
    // tokenizers build them.
    for (const auto* seq : {&a, b}) {
      if (!seq) continue;
      if (add_special_tokens && info.add_bos && special.bos >= 0) out.push_back(special.bos);
      out.insert(out.end(), seq->begin(), seq->end());
      if (add_special_tokens && info.add_eos && special.eos >= 0) out.push_back(special.eos);
    }
  }
  if (padding) {
    size_t size = padding->fixed.value_or(out.size());
    if (padding->multiple_of > 0 && size % padding->multiple_of) {
      size += padding->multiple_of - size % padding->multiple_of;
    }
    if (out.size() < size) {
      out.insert(padding->left ? out.begin() : out.end(), size - out.size(), padding->pad_id);
    }
  }
  return out;
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  if (!matcher_) fail(Code::ARGUMENT, "encode on a tokenizer that was not finalized");
  require_valid_utf8(text, "the text to encode");
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 4);
  encode_sequence(*this, matcher_->raw, matcher_->normalized, text, ids);
  if (!post_processor && !truncation && !padding) {  // the common case: no copies
    if (add_special_tokens && info.add_bos && special.bos >= 0)
      ids.insert(ids.begin(), special.bos);
    if (add_special_tokens && info.add_eos && special.eos >= 0) ids.push_back(special.eos);
    return ids;
  }
  return finish(ids, nullptr, add_special_tokens);
}

std::vector<TokenId> Tokenizer::encode_pair(std::string_view a, std::string_view b,
                                            bool add_special_tokens) const {
  if (!matcher_) fail(Code::ARGUMENT, "encode on a tokenizer that was not finalized");
  require_valid_utf8(a, "the first text to encode");
  require_valid_utf8(b, "the second text to encode");
  std::vector<TokenId> ia, ib;
  encode_sequence(*this, matcher_->raw, matcher_->normalized, a, ia);
  encode_sequence(*this, matcher_->raw, matcher_->normalized, b, ib);
  return finish(ia, &ib, add_special_tokens);
}

std::string Tokenizer::decode(std::span<const TokenId> ids, bool skip_special_tokens) const {
  if (!matcher_) fail(Code::ARGUMENT, "decode on a tokenizer that was not finalized");
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (TokenId id : ids) {
    auto tok = id_to_token(id);
    if (!tok) continue;  // ids outside the vocabulary are dropped, as HF does
    if (skip_special_tokens && matcher_->specials.find(*tok)) continue;
    tokens.emplace_back(*tok);
  }
  if (decoder) {
    decoder->decode_chain(tokens);
    std::string out;
    for (const auto& s : tokens) out += s;
    return out;
  }
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i) out += ' ';
    out += tokens[i];
  }
  return out;
}

std::optional<TokenId> Tokenizer::token_to_id(std::string_view token) const {
  if (matcher_) {
    if (auto id = matcher_->id_of.find(token)) return id;
  }
  return model ? model->token_to_id(token) : std::nullopt;
}

std::optional<std::string_view> Tokenizer::id_to_token(TokenId id) const {
  if (matcher_) {
    auto it = matcher_->content_of.find(id);
    if (it != matcher_->content_of.end()) return std::string_view(it->second);
  }
  return model ? model->id_to_token(id) : std::nullopt;
}

size_t Tokenizer::vocab_size() const {
  const size_t base = model ? model->vocab_size() : 0;
  return base + (matcher_ ? matcher_->beyond_model : 0);
}

bool Tokenizer::is_special(TokenId id) const {
  if (!matcher_) return false;
  auto tok = id_to_token(id);
  return tok && matcher_->specials.find(*tok).has_value();
}

}  // namespace mwt::detail::tok
