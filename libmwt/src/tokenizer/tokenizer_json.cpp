// load_tokenizer_json: tokenizer.json (the pipeline and its added tokens, ids assigned as HF's
// AddedVocabulary assigns them) plus what tokenizer_config.json and special_tokens_map.json say
// (chat template, special-token strings, BOS/EOS flags). docs/tokenizers-core.md#loading.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/post_processors.hpp"
#include "tokenizer/tokenizer_json_access.hpp"
#include "tokenizer/tokenizer_json_config.hpp"

namespace mwt::detail::tok {
namespace {

// HF's AddedVocabulary::add_tokens, replayed: an id is the content's earlier id, else its
// model id, else the next id past the model vocabulary and the added ids. The id written in
// tokenizer.json is not used, as HF does not use it either.
class AddedReplay {
 public:
  explicit AddedReplay(const Model& m) : model_(m), vocab_size_(m.vocab_size()) {}

  void add(const AddedToken& t) {
    if (t.special && !t.content.empty()) special_.insert(t.content);
    if (t.content.empty()) return;
    for (const auto& [id, tok] : by_id_) {
      if (same(tok, t)) return;  // an identical token is ignored
    }
    TokenId id;
    if (auto it = ids_.find(t.content); it != ids_.end()) {
      id = it->second;
    } else if (auto mid = model_.token_to_id(t.content)) {
      id = *mid;
    } else {
      id = next_id();
    }
    if (ids_.emplace(t.content, id).second) order_.push_back(t.content);
    ids_[t.content] = id;
    by_id_[id] = t;
    last_[t.content] = t;
  }

  bool has(const std::string& content) const { return ids_.count(content) > 0; }

  std::vector<AddedToken> result() const {
    std::vector<AddedToken> out;
    for (const std::string& c : order_) {
      AddedToken t = last_.at(c);
      t.id = ids_.at(c);
      t.special = special_.count(c) > 0;
      out.push_back(std::move(t));
    }
    return out;
  }

 private:
  static bool same(const AddedToken& a, const AddedToken& b) {
    return a.content == b.content && a.single_word == b.single_word && a.lstrip == b.lstrip &&
           a.rstrip == b.rstrip && a.normalized == b.normalized && a.special == b.special;
  }
  TokenId next_id() const {
    if (ids_.empty()) return static_cast<TokenId>(vocab_size_);
    TokenId max = 0;
    for (const auto& [c, id] : ids_) max = std::max(max, id);
    if (static_cast<size_t>(max) >= vocab_size_ || vocab_size_ == 0) {
      if (max == INT32_MAX) fail(Code::LIMIT_EXCEEDED, "added token ids pass 2^31");
      return max + 1;
    }
    return static_cast<TokenId>(vocab_size_);
  }
  const Model& model_;
  size_t vocab_size_;
  std::unordered_map<std::string, TokenId> ids_;
  std::unordered_map<TokenId, AddedToken> by_id_;
  std::unordered_map<std::string, AddedToken> last_;
  std::unordered_set<std::string> special_;
  std::vector<std::string> order_;
};

AddedToken added_from_json(dom::object o, const std::string& where) {
  AddedToken t;
  t.content =
      std::string(json_string(json_required(o, "content", where), json_path_key(where, "content")));
  t.special = json_bool_or(o, "special", where, false);
  t.single_word = json_bool_or(o, "single_word", where, false);
  t.lstrip = json_bool_or(o, "lstrip", where, false);
  t.rstrip = json_bool_or(o, "rstrip", where, false);
  t.normalized = json_bool_or(o, "normalized", where, !t.special);
  return t;
}

bool left_of(dom::object o, const std::string& where) {
  auto d = json_field(o, "direction");
  if (!d) return false;
  const std::string at = json_path_key(where, "direction");
  const std::string_view v = json_string(*d, at);
  if (v != "Left" && v != "Right") {
    fail(Code::BAD_SYNTAX, "direction is \"Left\" or \"Right\"", kNoOffset, at);
  }
  return v == "Left";
}

Truncation truncation_from_json(dom::element e) {
  const std::string w = "truncation";
  const dom::object o = json_object(e, w);
  Truncation t;
  t.max_length = json_uint(json_required(o, "max_length", w), "truncation.max_length", SIZE_MAX);
  if (auto s = json_field(o, "stride")) t.stride = json_uint(*s, "truncation.stride", SIZE_MAX);
  t.left = left_of(o, w);
  if (auto s = json_field(o, "strategy")) {
    const std::string_view v = json_string(*s, "truncation.strategy");
    if (v == "LongestFirst") {
      t.strategy = Truncation::Strategy::LongestFirst;
    } else if (v == "OnlyFirst") {
      t.strategy = Truncation::Strategy::OnlyFirst;
    } else if (v == "OnlySecond") {
      t.strategy = Truncation::Strategy::OnlySecond;
    } else {
      fail(Code::BAD_SYNTAX, "unknown strategy \"" + escape_for_message(v) + "\"", kNoOffset,
           "truncation.strategy");
    }
  }
  return t;
}

// {"strategy": "BatchLongest" | {"Fixed": n}, "direction", "pad_to_multiple_of", "pad_id", ...}
Padding padding_from_json(dom::element e) {
  const std::string w = "padding";
  const dom::object o = json_object(e, w);
  Padding p;
  if (auto s = json_field(o, "strategy")) {
    if (s->type() == dom::element_type::STRING) {
      if (json_string(*s, "padding.strategy") != "BatchLongest") {
        fail(Code::BAD_SYNTAX, "expected \"BatchLongest\" or {\"Fixed\": n}", kNoOffset,
             "padding.strategy");
      }
    } else {
      const dom::object f = json_object(*s, "padding.strategy");
      p.fixed = json_uint(json_required(f, "Fixed", "padding.strategy"), "padding.strategy.Fixed",
                          INT32_MAX);
    }
  }
  if (auto m = json_field(o, "pad_to_multiple_of")) {
    p.multiple_of = json_uint(*m, "padding.pad_to_multiple_of", INT32_MAX);
  }
  if (auto id = json_field(o, "pad_id")) {
    p.pad_id = static_cast<TokenId>(json_uint(*id, "padding.pad_id", INT32_MAX));
  }
  p.left = left_of(o, w);
  return p;
}

// The model's own unknown token, for SpecialIds when the config names none.
std::optional<TokenId> model_unk(dom::object model, const Tokenizer& t) {
  if (auto u = json_field(model, "unk_id")) {
    uint64_t v = 0;
    if (!u->get_uint64().get(v) && v <= INT32_MAX) return static_cast<TokenId>(v);
  }
  if (auto u = json_field(model, "unk_token")) {
    std::string_view s;
    if (!u->get_string().get(s)) return t.token_to_id(s);
  }
  return std::nullopt;
}

std::unique_ptr<Normalizer> normalizer_of(dom::element e) {
  return normalizer_from_json(e, "normalizer");
}
std::unique_ptr<Decoder> decoder_of(dom::element e) { return decoder_from_json(e, "decoder"); }

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer_json(std::string_view json, std::string_view config_json,
                                               std::string_view special_map_json) {
  dom::parser parser;
  const dom::object root = json_object(parse_json_document(parser, json, "tokenizer.json"), "");
  if (auto v = json_field(root, "version")) {
    const std::string_view ver = json_string(*v, "version");
    if (ver != "1.0") {
      fail(Code::UNSUPPORTED_VERSION,
           "tokenizer.json version \"" + escape_for_message(ver) + "\" (HF reads \"1.0\")",
           kNoOffset, "version");
    }
  }
  auto t = std::make_unique<Tokenizer>();
  if (auto e = json_field(root, "truncation")) t->truncation = truncation_from_json(*e);
  if (auto e = json_field(root, "padding")) t->padding = padding_from_json(*e);
  const dom::element model_e = json_required(root, "model", "");
  t->model = model_from_json(model_e, "model");
  if (!t->model) fail(Code::BAD_SYNTAX, "the model is null", kNoOffset, "model");
  if (auto n = json_field(root, "normalizer")) t->normalizer = normalizer_of(*n);
  if (auto p = json_field(root, "pre_tokenizer")) {
    t->pre_tokenizer = pre_tokenizer_from_json(*p, "pre_tokenizer");
  }
  if (auto p = json_field(root, "post_processor")) {
    t->post_processor = post_processor_from_json(*p, *t->model, "post_processor");
  }
  if (auto d = json_field(root, "decoder")) t->decoder = decoder_of(*d);

  AddedReplay replay(*t->model);
  if (auto a = json_field(root, "added_tokens")) {
    size_t i = 0;
    for (dom::element e : json_array(*a, "added_tokens")) {
      const std::string at = json_path_index("added_tokens", i++);
      replay.add(added_from_json(json_object(e, at), at));
    }
  }

  t->info.source = "tokenizer.json";
  TokenizerConfig cfg;
  if (!config_json.empty()) cfg = read_tokenizer_config(config_json);
  if (!special_map_json.empty()) merge_special_tokens_map(cfg, special_map_json);
  // Tokens the config declares that tokenizer.json lacks are added as transformers adds them.
  for (const AddedToken& extra : cfg.added_tokens) {
    if (!replay.has(extra.content)) replay.add(extra);
  }
  t->added = replay.result();
  t->finalize();

  // HF would emit a post-processor id the vocabulary lacks; an id nothing decodes is a broken
  // file, refused here so every id encode returns names a token.
  if (const auto* pp = dynamic_cast<const ListPostProcessor*>(t->post_processor.get())) {
    std::vector<TokenId> ids;
    pp->special_ids(ids);
    for (TokenId id : ids) {
      if (!t->id_to_token(id)) {
        fail(Code::BAD_SYNTAX,
             "special token id " + std::to_string(id) + " is not in the vocabulary", kNoOffset,
             "post_processor");
      }
    }
  }
  if (t->padding && !t->id_to_token(t->padding->pad_id)) {
    fail(Code::BAD_SYNTAX,
         "pad_id " + std::to_string(t->padding->pad_id) + " is not in the vocabulary", kNoOffset,
         "padding.pad_id");
  }
  apply_tokenizer_config(cfg, *t);
  if (t->special.unk < 0) {
    if (auto u = model_unk(json_object(model_e, "model"), *t)) t->special.unk = *u;
  }
  return t;
}

}  // namespace mwt::detail::tok
