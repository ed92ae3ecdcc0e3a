// pre_tokenizer_from_json and post_processor_from_json: tokenizer.json's "pre_tokenizer" and
// "post_processor" objects, field names and defaults as HF tokenizers serializes them.
#include <algorithm>

#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/post_processors.hpp"
#include "tokenizer/pre_tokenizers.hpp"
#include "tokenizer/tokenizer_json_access.hpp"

namespace mwt::detail::tok {
namespace {

SplitBehavior behavior_of(dom::object o, const std::string& where, SplitBehavior dflt) {
  auto e = json_field(o, "behavior");
  if (!e) return dflt;
  const std::string at = json_path_key(where, "behavior");
  const std::string_view b = json_string(*e, at);
  if (b == "Removed") return SplitBehavior::Removed;
  if (b == "Isolated") return SplitBehavior::Isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (b == "Contiguous") return SplitBehavior::Contiguous;
  fail(Code::BAD_SYNTAX, "unknown split behavior \"" + escape_for_message(b) + "\"", kNoOffset, at);
}

// A JSON string holding exactly one character (serde's char).
uint32_t one_char(dom::element e, const std::string& where) {
  const std::string_view s = json_string(e, where);
  size_t len = 0;
  const uint32_t c = s.empty() ? 0 : decode_utf8_at(s, 0, len);
  if (s.empty() || len != s.size()) {
    fail(Code::BAD_SYNTAX, "expected a single character", kNoOffset, where);
  }
  return c;
}

std::unique_ptr<PreTokenizer> split_from_json(dom::object o, const std::string& where) {
  const std::string pw = json_path_key(where, "pattern");
  const dom::object pat = json_object(json_required(o, "pattern", where), pw);
  const bool invert = json_bool_or(o, "invert", where, false);
  const SplitBehavior b = behavior_of(o, where, SplitBehavior::Isolated);
  if (!json_field(o, "behavior")) {
    fail(Code::BAD_SYNTAX, "missing field \"behavior\"", kNoOffset, where);
  }
  if (auto r = json_field(pat, "Regex")) {
    return make_split(json_string(*r, json_path_key(pw, "Regex")), true, b, invert);
  }
  if (auto s = json_field(pat, "String")) {
    return make_split(json_string(*s, json_path_key(pw, "String")), false, b, invert);
  }
  fail(Code::BAD_SYNTAX, "expected {\"String\": ...} or {\"Regex\": ...}", kNoOffset, pw);
}

std::unique_ptr<PreTokenizer> metaspace_from_json(dom::object o, const std::string& where) {
  const uint32_t c =
      one_char(json_required(o, "replacement", where), json_path_key(where, "replacement"));
  std::string repl;
  append_utf8(repl, c);
  std::optional<PrependScheme> scheme;
  if (auto s = json_field(o, "prepend_scheme")) {
    const std::string at = json_path_key(where, "prepend_scheme");
    const std::string_view v = json_string(*s, at);
    if (v == "always") {
      scheme = PrependScheme::Always;
    } else if (v == "first") {
      scheme = PrependScheme::First;
    } else if (v == "never") {
      scheme = PrependScheme::Never;
    } else {
      fail(Code::BAD_SYNTAX, "unknown prepend_scheme \"" + escape_for_message(v) + "\"", kNoOffset,
           at);
    }
  }
  // The legacy field: add_prefix_space false means never (HF rejects it together with another
  // declared scheme, and so do we).
  if (auto a = json_field(o, "add_prefix_space")) {
    if (!json_bool(*a, json_path_key(where, "add_prefix_space"))) {
      if (scheme && *scheme != PrependScheme::Never) {
        fail(Code::BAD_SYNTAX, "add_prefix_space does not match prepend_scheme", kNoOffset, where);
      }
      scheme = PrependScheme::Never;
    }
  }
  return make_metaspace_scheme(std::move(repl), scheme.value_or(PrependScheme::Always),
                               json_bool_or(o, "split", where, true));
}

std::unique_ptr<PreTokenizer> pre_from_object(dom::object o, const std::string& where) {
  const std::string_view type = json_type_of(o, where);
  if (type == "ByteLevel") {
    return make_byte_level(json_bool_or(o, "add_prefix_space", where, true),
                           json_bool_or(o, "use_regex", where, true));
  }
  if (type == "Split") return split_from_json(o, where);
  if (type == "Metaspace") return metaspace_from_json(o, where);
  if (type == "Whitespace") return make_whitespace();
  if (type == "WhitespaceSplit") return make_whitespace_split();
  if (type == "Punctuation") {
    return make_punctuation(behavior_of(o, where, SplitBehavior::Isolated));
  }
  if (type == "Digits") return make_digits(json_bool_or(o, "individual_digits", where, false));
  if (type == "BertPreTokenizer") return make_bert_pre_tokenizer();
  if (type == "CharDelimiterSplit") {
    return make_char_delimiter_split(
        one_char(json_required(o, "delimiter", where), json_path_key(where, "delimiter")));
  }
  if (type == "Sequence") {
    const std::string pw = json_path_key(where, "pretokenizers");
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    size_t i = 0;
    for (dom::element p : json_array(json_required(o, "pretokenizers", where), pw)) {
      const std::string at = json_path_index(pw, i++);
      if (json_is_null(p)) fail(Code::BAD_SYNTAX, "expected a pre-tokenizer", kNoOffset, at);
      parts.push_back(pre_from_object(json_object(p, at), at));
    }
    return make_sequence_pre_tokenizer(std::move(parts));
  }
  fail(Code::UNSUPPORTED_FEATURE,
       "pre-tokenizer type \"" + escape_for_message(type) + "\" is not supported", kNoOffset,
       json_path_key(where, "type"));
}

// ["[SEP]", 102]: a token and its id.
TokenId token_pair_id(dom::element e, const std::string& where) {
  const dom::array a = json_array(e, where);
  if (a.size() != 2) fail(Code::BAD_SYNTAX, "expected [token, id]", kNoOffset, where);
  auto it = a.begin();
  json_string(*it, json_path_index(where, 0));
  ++it;
  return static_cast<TokenId>(json_uint(*it, json_path_index(where, 1), INT32_MAX));
}

// A template item in its string form: "$A", "$B:1", "$1" (A with type id 1), "[CLS]",
// "[SEP]:1".
TemplateItem template_item_text(std::string_view s, const std::string& where) {
  TemplateItem item;
  const size_t colon = s.rfind(':');
  if (colon != std::string_view::npos && colon > 0 && colon + 1 < s.size()) {
    const std::string_view tail = s.substr(colon + 1);
    if (tail.size() <= 9 && tail.find_first_not_of("0123456789") == std::string_view::npos) {
      item.type_id = static_cast<uint32_t>(std::stoul(std::string(tail)));
      s = s.substr(0, colon);
    }
  }
  if (s.empty() || s[0] != '$') {
    item.special = std::string(s);
    return item;
  }
  const std::string_view rest = s.substr(1);
  item.is_sequence = true;
  if (rest == "B" || rest == "b") {
    item.sequence = 1;
  } else if (!rest.empty() && rest != "A" && rest != "a") {
    if (rest.size() > 9 || rest.find_first_not_of("0123456789") != std::string_view::npos) {
      fail(Code::BAD_SYNTAX, "unknown template sequence \"" + escape_for_message(s) + "\"",
           kNoOffset, where);
    }
    item.type_id = static_cast<uint32_t>(std::stoul(std::string(rest)));
  }
  return item;
}

// One template item: {"Sequence": {"id": "A", "type_id": 0}} / {"SpecialToken": {...}} or
// the string form.
TemplateItem template_item(dom::element e, const std::string& where) {
  if (e.type() == dom::element_type::STRING)
    return template_item_text(json_string(e, where), where);
  TemplateItem item;
  const dom::object o = json_object(e, where);
  if (auto seq = json_field(o, "Sequence")) {
    const std::string at = json_path_key(where, "Sequence");
    const dom::object so = json_object(*seq, at);
    const std::string_view id = json_string(json_required(so, "id", at), json_path_key(at, "id"));
    if (id != "A" && id != "B") {
      fail(Code::BAD_SYNTAX, "a sequence id is \"A\" or \"B\"", kNoOffset, json_path_key(at, "id"));
    }
    item.is_sequence = true;
    item.sequence = id == "B" ? 1 : 0;
    if (auto t = json_field(so, "type_id")) {
      item.type_id = static_cast<uint32_t>(json_uint(*t, json_path_key(at, "type_id"), UINT32_MAX));
    }
    return item;
  }
  if (auto sp = json_field(o, "SpecialToken")) {
    const std::string at = json_path_key(where, "SpecialToken");
    const dom::object so = json_object(*sp, at);
    item.special = std::string(json_string(json_required(so, "id", at), json_path_key(at, "id")));
    if (auto t = json_field(so, "type_id")) {
      item.type_id = static_cast<uint32_t>(json_uint(*t, json_path_key(at, "type_id"), UINT32_MAX));
    }
    return item;
  }
  fail(Code::BAD_SYNTAX, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}", kNoOffset,
       where);
}

std::vector<TemplateItem> template_of(dom::object o, const char* key, const std::string& where) {
  std::vector<TemplateItem> items;
  auto e = json_field(o, key);
  if (!e) return items;
  const std::string at = json_path_key(where, key);
  if (e->type() == dom::element_type::STRING) {  // "$A [SEP]": items separated by spaces
    const std::string_view s = json_string(*e, at);
    size_t i = 0;
    while (i < s.size()) {
      const size_t j = std::min(s.find(' ', i), s.size());
      if (j > i) items.push_back(template_item_text(s.substr(i, j - i), at));
      i = j + 1;
    }
    return items;
  }
  size_t i = 0;
  for (dom::element item : json_array(*e, at)) {
    items.push_back(template_item(item, json_path_index(at, i++)));
  }
  return items;
}

std::unique_ptr<PostProcessor> template_from_json(dom::object o, const std::string& where) {
  std::vector<TemplateSpecial> specials;
  if (auto st = json_field(o, "special_tokens")) {
    const std::string sw = json_path_key(where, "special_tokens");
    for (auto field : json_object(*st, sw)) {
      const std::string at = json_path_key(sw, field.key);
      const dom::object so = json_object(field.value, at);
      TemplateSpecial s;
      s.key = std::string(field.key);
      const std::string iw = json_path_key(at, "ids");
      size_t i = 0;
      for (dom::element id : json_array(json_required(so, "ids", at), iw)) {
        s.ids.push_back(static_cast<TokenId>(json_uint(id, json_path_index(iw, i++), INT32_MAX)));
      }
      specials.push_back(std::move(s));
    }
  }
  return make_template_processing(template_of(o, "single", where), template_of(o, "pair", where),
                                  std::move(specials));
}

std::unique_ptr<PostProcessor> post_from_object(dom::object o, const std::string& where) {
  const std::string_view type = json_type_of(o, where);
  if (type == "TemplateProcessing") return template_from_json(o, where);
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    const TokenId sep = token_pair_id(json_required(o, "sep", where), json_path_key(where, "sep"));
    const TokenId cls = token_pair_id(json_required(o, "cls", where), json_path_key(where, "cls"));
    return type == "BertProcessing" ? make_bert_processing(cls, sep)
                                    : make_roberta_processing(cls, sep);
  }
  if (type == "ByteLevel") return make_byte_level_post_processor();
  if (type == "Sequence") {
    const std::string pw = json_path_key(where, "processors");
    std::vector<std::unique_ptr<PostProcessor>> parts;
    size_t i = 0;
    for (dom::element p : json_array(json_required(o, "processors", where), pw)) {
      const std::string at = json_path_index(pw, i++);
      parts.push_back(post_from_object(json_object(p, at), at));
    }
    return make_sequence_post_processor(std::move(parts));
  }
  fail(Code::UNSUPPORTED_FEATURE,
       "post-processor type \"" + escape_for_message(type) + "\" is not supported", kNoOffset,
       json_path_key(where, "type"));
}

}  // namespace

std::unique_ptr<PreTokenizer> pre_tokenizer_from_json(dom::element e, std::string_view where) {
  if (json_is_null(e)) return nullptr;
  const std::string w(where);
  return pre_from_object(json_object(e, w), w);
}

std::unique_ptr<PostProcessor> post_processor_from_json(dom::element e, const Model&,
                                                        std::string_view where) {
  if (json_is_null(e)) return nullptr;
  const std::string w(where);
  return post_from_object(json_object(e, w), w);
}

}  // namespace mwt::detail::tok
