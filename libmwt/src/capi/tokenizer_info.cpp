// The JSON object of mwt_tokenizer_info: a tokenizer's source, model type, special tokens and
// flags, and its added tokens, with the members mwt_tokenizer.h lists.
#include <string>
#include <string_view>

#include "capi/tokenizer_handle.hpp"
#include "core/json_writer.hpp"

namespace mwt::capi {
namespace {

using mwt::detail::JsonOut;
using mwt::detail::tok::TokenId;

void text_or_null(JsonOut& j, std::string_view key, const std::string& s) {
  j.key(key);
  if (s.empty())
    j.null();
  else
    j.value(s);
}

void id_or_null(JsonOut& j, std::string_view key, TokenId id) {
  j.key(key);
  if (id < 0)
    j.null();
  else
    j.value(static_cast<int64_t>(id));
}

}  // namespace

std::string tokenizer_info_json(const mwt::detail::tok::Tokenizer& tok) {
  const auto& info = tok.info;
  const auto& s = tok.special;
  JsonOut j;
  j.begin_object();
  j.field("source", info.source);
  j.field("model_type", tok.model ? tok.model->type() : "");
  j.field("vocab_size", static_cast<uint64_t>(tok.vocab_size()));
  text_or_null(j, "gguf_model", info.gguf_model);
  text_or_null(j, "gguf_pre", info.gguf_pre);
  text_or_null(j, "chat_template", info.chat_template);
  text_or_null(j, "bos_token", info.bos_token);
  text_or_null(j, "eos_token", info.eos_token);
  text_or_null(j, "unk_token", info.unk_token);
  text_or_null(j, "pad_token", info.pad_token);
  j.key("special_ids").begin_object();
  id_or_null(j, "bos", s.bos);
  id_or_null(j, "eos", s.eos);
  id_or_null(j, "unk", s.unk);
  id_or_null(j, "pad", s.pad);
  id_or_null(j, "sep", s.sep);
  id_or_null(j, "cls", s.cls);
  id_or_null(j, "mask", s.mask);
  j.key("eot").begin_array();
  for (TokenId id : s.eot) j.value(static_cast<int64_t>(id));
  j.end_array();
  j.end_object();
  j.field("add_bos", info.add_bos);
  j.field("add_eos", info.add_eos);
  j.key("added_tokens").begin_array();
  for (const auto& a : tok.added) {
    j.begin_object();
    j.field("id", static_cast<int64_t>(a.id));
    j.field("content", a.content);
    j.field("special", a.special);
    j.field("single_word", a.single_word);
    j.field("lstrip", a.lstrip);
    j.field("rstrip", a.rstrip);
    j.field("normalized", a.normalized);
    j.end_object();
  }
  j.end_array();
  j.field("clean_up_tokenization_spaces", info.clean_up_tokenization_spaces);
  j.key("model_max_length");
  if (info.model_max_length < 0)
    j.null();
  else
    j.value(info.model_max_length);
  j.end_object();
  return j.take();
}

}  // namespace mwt::capi
