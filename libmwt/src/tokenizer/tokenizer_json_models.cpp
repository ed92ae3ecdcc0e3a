// model_from_json: tokenizer.json's "model" (BPE, Unigram, WordPiece, WordLevel) read into the
// make_* configurations. Field names and defaults are HF tokenizers' serialization.
#include <algorithm>

#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/flat_map.hpp"
#include "tokenizer/tokenizer_json_access.hpp"

namespace mwt::detail::tok {
namespace {

constexpr uint64_t kMaxId = INT32_MAX - 1;

struct VocabMap {
  std::vector<std::string> tokens;  // id order
  std::vector<uint8_t> holes;       // empty when every id below the largest has a token
};

// {"token": id, ...}. Ids may skip values (a hole), but not by so much that a few entries
// could make us allocate gigabytes.
VocabMap read_vocab_map(dom::element e, const std::string& where) {
  const dom::object o = json_object(e, where);
  std::vector<std::pair<std::string_view, uint32_t>> entries;
  uint64_t max_id = 0;
  StringIdMap seen;
  for (auto field : o) {
    const std::string at = json_path_key(where, field.key);
    const auto id = static_cast<uint32_t>(json_uint(field.value, at, kMaxId));
    if (!seen.insert(field.key, static_cast<int32_t>(id))) {
      fail(Code::DUPLICATE, "the token is listed twice", kNoOffset, at);
    }
    entries.emplace_back(field.key, id);
    max_id = std::max<uint64_t>(max_id, id);
  }
  VocabMap v;
  if (entries.empty()) return v;
  if (max_id + 1 > entries.size() * 2 + 65536) {
    fail(Code::LIMIT_EXCEEDED,
         "ids reach " + std::to_string(max_id) + " for " + std::to_string(entries.size()) +
             " tokens",
         kNoOffset, where);
  }
  v.tokens.resize(max_id + 1);
  v.holes.assign(max_id + 1, 1);
  for (const auto& [tok, id] : entries) {
    if (!v.holes[id]) {
      fail(Code::DUPLICATE, "id " + std::to_string(id) + " is given to two tokens", kNoOffset,
           json_path_key(where, tok));
    }
    v.holes[id] = 0;
    v.tokens[id] = std::string(tok);
  }
  if (entries.size() == v.tokens.size()) v.holes.clear();
  return v;
}

// "a b" (exactly one space, as HF's legacy form demands) or ["a", "b"].
std::vector<std::pair<std::string, std::string>> read_merges(dom::element e,
                                                             const std::string& where) {
  std::vector<std::pair<std::string, std::string>> merges;
  size_t i = 0;
  for (dom::element m : json_array(e, where)) {
    const std::string at = json_path_index(where, i++);
    if (m.type() == dom::element_type::STRING) {
      const std::string_view s = json_string(m, at);
      const size_t sp = s.find(' ');
      if (sp == std::string_view::npos || s.find(' ', sp + 1) != std::string_view::npos) {
        fail(Code::BAD_SYNTAX, "a merge must be two tokens separated by one space", kNoOffset, at);
      }
      merges.emplace_back(std::string(s.substr(0, sp)), std::string(s.substr(sp + 1)));
      continue;
    }
    const dom::array pair = json_array(m, at);
    std::string parts[2];
    size_t n = 0;
    for (dom::element p : pair) {
      if (n == 2) break;
      parts[n] = std::string(json_string(p, json_path_index(at, n)));
      ++n;
    }
    if (n != 2 || pair.size() != 2) {
      fail(Code::BAD_SYNTAX, "a merge must be a pair of tokens", kNoOffset, at);
    }
    merges.emplace_back(std::move(parts[0]), std::move(parts[1]));
  }
  return merges;
}

std::unique_ptr<Model> bpe_from_json(dom::object o, const std::string& where) {
  if (auto d = json_field(o, "dropout")) {
    // 0.0 is HF's "no dropout" as much as null is; anything else samples merges at random.
    if (json_number(*d, json_path_key(where, "dropout")) != 0.0) {
      fail(Code::UNSUPPORTED_FEATURE, "BPE dropout (random merges) is not supported", kNoOffset,
           json_path_key(where, "dropout"));
    }
  }
  BpeConfig c;
  VocabMap v = read_vocab_map(json_required(o, "vocab", where), json_path_key(where, "vocab"));
  c.vocab = std::move(v.tokens);
  c.holes = std::move(v.holes);
  if (auto m = json_field(o, "merges")) c.merges = read_merges(*m, json_path_key(where, "merges"));
  c.unk_token = json_string_opt(o, "unk_token", where);
  c.continuing_subword_prefix = json_string_opt(o, "continuing_subword_prefix", where).value_or("");
  c.end_of_word_suffix = json_string_opt(o, "end_of_word_suffix", where).value_or("");
  c.fuse_unk = json_bool_or(o, "fuse_unk", where, false);
  c.byte_fallback = json_bool_or(o, "byte_fallback", where, false);
  c.ignore_merges = json_bool_or(o, "ignore_merges", where, false);
  return make_bpe(std::move(c));
}

std::vector<std::string> dense_vocab(dom::element e, const std::string& where) {
  VocabMap v = read_vocab_map(e, where);
  if (!v.holes.empty()) {
    fail(Code::UNSUPPORTED_FEATURE, "a vocabulary whose ids skip values", kNoOffset, where);
  }
  return std::move(v.tokens);
}

std::unique_ptr<Model> unigram_from_json(dom::object o, const std::string& where) {
  UnigramConfig c;
  const std::string vw = json_path_key(where, "vocab");
  size_t i = 0;
  for (dom::element p : json_array(json_required(o, "vocab", where), vw)) {
    const std::string at = json_path_index(vw, i++);
    const dom::array pair = json_array(p, at);
    if (pair.size() != 2) fail(Code::BAD_SYNTAX, "expected [piece, score]", kNoOffset, at);
    auto it = pair.begin();
    std::string piece(json_string(*it, json_path_index(at, 0)));
    ++it;
    const double score = json_number(*it, json_path_index(at, 1));
    c.pieces.emplace_back(std::move(piece), score);
    if (c.pieces.size() > kMaxId) fail(Code::LIMIT_EXCEEDED, "too many pieces", kNoOffset, vw);
  }
  if (auto u = json_field(o, "unk_id")) {
    c.unk_id = static_cast<TokenId>(json_uint(*u, json_path_key(where, "unk_id"), kMaxId));
  }
  c.byte_fallback = json_bool_or(o, "byte_fallback", where, false);
  return make_unigram(std::move(c));
}

std::unique_ptr<Model> wordpiece_from_json(dom::object o, const std::string& where) {
  WordPieceConfig c;
  c.vocab = dense_vocab(json_required(o, "vocab", where), json_path_key(where, "vocab"));
  if (auto s = json_string_opt(o, "unk_token", where)) c.unk_token = *s;
  if (auto s = json_string_opt(o, "continuing_subword_prefix", where)) {
    c.continuing_subword_prefix = *s;
  }
  if (auto m = json_field(o, "max_input_chars_per_word")) {
    c.max_input_chars_per_word =
        json_uint(*m, json_path_key(where, "max_input_chars_per_word"), UINT32_MAX);
  }
  return make_wordpiece(std::move(c));
}

std::unique_ptr<Model> wordlevel_from_json(dom::object o, const std::string& where) {
  WordLevelConfig c;
  c.vocab = dense_vocab(json_required(o, "vocab", where), json_path_key(where, "vocab"));
  c.unk_token = json_string_opt(o, "unk_token", where).value_or("<unk>");
  return make_wordlevel(std::move(c));
}

}  // namespace

std::unique_ptr<Model> model_from_json(dom::element e, std::string_view where_in) {
  const std::string where(where_in);
  if (json_is_null(e)) return nullptr;
  const dom::object o = json_object(e, where);
  std::string_view type = json_type_of(o, where);
  if (type.empty()) {  // files from before the "type" tag: told apart by their fields
    auto vocab = json_field(o, "vocab");
    if (json_field(o, "merges")) {
      type = "BPE";
    } else if (vocab && vocab->type() == dom::element_type::ARRAY) {
      type = "Unigram";
    } else if (json_field(o, "continuing_subword_prefix") ||
               json_field(o, "max_input_chars_per_word")) {
      type = "WordPiece";
    } else {
      type = "WordLevel";
    }
  }
  if (type == "BPE") return bpe_from_json(o, where);
  if (type == "Unigram") return unigram_from_json(o, where);
  if (type == "WordPiece") return wordpiece_from_json(o, where);
  if (type == "WordLevel") return wordlevel_from_json(o, where);
  fail(Code::UNSUPPORTED_FEATURE, "unknown model type \"" + escape_for_message(type) + "\"",
       kNoOffset, json_path_key(where, "type"));
}

}  // namespace mwt::detail::tok
