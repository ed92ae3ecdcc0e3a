// Reading tokenizer_config.json and special_tokens_map.json. Special tokens there are a string
// or an AddedToken object ({"content": ..., "lstrip": ...}); chat_template is a string or a list
// of {"name", "template"}.
#include "tokenizer/tokenizer_json_config.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "tokenizer/tokenizer_json_access.hpp"

namespace mwt::detail::tok {
namespace {

constexpr const char* kSpecialKeys[] = {"bos_token", "eos_token", "unk_token", "pad_token",
                                        "cls_token", "sep_token", "mask_token"};

std::optional<std::string>* slot(TokenizerConfig& c, size_t i) {
  std::optional<std::string>* slots[] = {&c.bos, &c.eos, &c.unk, &c.pad, &c.cls, &c.sep, &c.mask};
  return slots[i];
}

std::optional<std::string> token_string(dom::object o, const char* key, const std::string& file) {
  auto e = json_field(o, key);
  if (!e) return std::nullopt;
  const std::string where = file + ": " + key;
  if (e->type() == dom::element_type::STRING) return std::string(json_string(*e, where));
  const dom::object t = json_object(*e, where);
  return std::string(
      json_string(json_required(t, "content", where), json_path_key(where, "content")));
}

void read_special_strings(TokenizerConfig& c, dom::object o, const std::string& file,
                          bool only_missing) {
  for (size_t i = 0; i < std::size(kSpecialKeys); ++i) {
    auto* s = slot(c, i);
    if (only_missing && *s) continue;
    if (auto v = token_string(o, kSpecialKeys[i], file)) *s = std::move(v);
  }
}

void read_chat_template(TokenizerConfig& c, dom::element e, const std::string& where) {
  if (e.type() == dom::element_type::STRING) {
    c.chat_template = std::string(json_string(e, where));
    return;
  }
  size_t i = 0;
  for (dom::element item : json_array(e, where)) {
    const std::string at = json_path_index(where, i++);
    const dom::object o = json_object(item, at);
    std::string name(json_string(json_required(o, "name", at), json_path_key(at, "name")));
    std::string body(json_string(json_required(o, "template", at), json_path_key(at, "template")));
    if (name == "default") c.chat_template = body;
    c.chat_templates.emplace_back(std::move(name), std::move(body));
  }
}

void read_added_decoder(TokenizerConfig& c, dom::element e, const std::string& where) {
  std::vector<std::pair<uint64_t, AddedToken>> items;
  for (auto field : json_object(e, where)) {
    const std::string at = json_path_key(where, field.key);
    const std::string_view k = field.key;
    if (k.empty() || k.size() > 10 || k.find_first_not_of("0123456789") != std::string_view::npos) {
      fail(Code::BAD_SYNTAX, "the key is not a token id", kNoOffset, at);
    }
    const uint64_t id = std::stoull(std::string(k));
    if (id > INT32_MAX) fail(Code::LIMIT_EXCEEDED, "token id above 2^31 - 1", kNoOffset, at);
    const dom::object o = json_object(field.value, at);
    AddedToken t;
    t.content =
        std::string(json_string(json_required(o, "content", at), json_path_key(at, "content")));
    t.special = json_bool_or(o, "special", at, false);
    t.single_word = json_bool_or(o, "single_word", at, false);
    t.lstrip = json_bool_or(o, "lstrip", at, false);
    t.rstrip = json_bool_or(o, "rstrip", at, false);
    t.normalized = json_bool_or(o, "normalized", at, !t.special);
    t.id = static_cast<TokenId>(id);
    items.emplace_back(id, std::move(t));
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [id, t] : items) c.added_tokens.push_back(std::move(t));
}

}  // namespace

TokenizerConfig read_tokenizer_config(std::string_view json) {
  const std::string file = "tokenizer_config.json";
  dom::parser parser;
  const dom::object o = json_object(parse_json_document(parser, json, file.c_str()), file);
  TokenizerConfig c;
  read_special_strings(c, o, file, false);
  if (auto e = json_field(o, "chat_template")) read_chat_template(c, *e, file + ": chat_template");
  const std::string w = file + ":";
  if (auto e = json_field(o, "add_bos_token")) c.add_bos = json_bool(*e, w + " add_bos_token");
  if (auto e = json_field(o, "add_eos_token")) c.add_eos = json_bool(*e, w + " add_eos_token");
  if (auto e = json_field(o, "clean_up_tokenization_spaces")) {
    c.clean_up_tokenization_spaces = json_bool(*e, w + " clean_up_tokenization_spaces");
  }
  if (auto e = json_field(o, "model_max_length")) {
    // transformers writes "no limit" as 1e30; anything past int64 is that.
    const double v = json_number(*e, w + " model_max_length");
    if (v >= 0 && std::isfinite(v)) {
      c.model_max_length = v >= 9.2e18 ? INT64_MAX : static_cast<int64_t>(v);
    }
  }
  if (auto e = json_field(o, "added_tokens_decoder")) {
    read_added_decoder(c, *e, file + ": added_tokens_decoder");
  }
  return c;
}

void merge_special_tokens_map(TokenizerConfig& cfg, std::string_view json) {
  const std::string file = "special_tokens_map.json";
  dom::parser parser;
  const dom::object o = json_object(parse_json_document(parser, json, file.c_str()), file);
  read_special_strings(cfg, o, file, true);
}

void apply_tokenizer_config(const TokenizerConfig& cfg, Tokenizer& t) {
  TokenizerInfo& info = t.info;
  if (cfg.chat_template) info.chat_template = *cfg.chat_template;
  info.chat_templates = cfg.chat_templates;
  info.bos_token = cfg.bos.value_or("");
  info.eos_token = cfg.eos.value_or("");
  info.unk_token = cfg.unk.value_or("");
  info.pad_token = cfg.pad.value_or("");
  info.add_bos = cfg.add_bos.value_or(false);
  info.add_eos = cfg.add_eos.value_or(false);
  if (cfg.clean_up_tokenization_spaces) {
    info.clean_up_tokenization_spaces = *cfg.clean_up_tokenization_spaces;
  }
  if (cfg.model_max_length) info.model_max_length = *cfg.model_max_length;
  auto id = [&](const std::optional<std::string>& s) -> TokenId {
    if (!s) return -1;
    return t.token_to_id(*s).value_or(-1);
  };
  t.special.bos = id(cfg.bos);
  t.special.eos = id(cfg.eos);
  t.special.unk = id(cfg.unk);
  t.special.pad = id(cfg.pad);
  t.special.cls = id(cfg.cls);
  t.special.sep = id(cfg.sep);
  t.special.mask = id(cfg.mask);
}

}  // namespace mwt::detail::tok
