// tokenizer.json "decoder" objects -> Decoders. Unknown fields are ignored (as serde does); a
// missing field takes the default of HF's Python constructor where it has one.
#include <vector>

#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/decoders.hpp"
#include "tokenizer/normalizers_json.hpp"

namespace mwt::detail::tok {

namespace {

PrependScheme prepend_scheme(json::dom::object o, std::string_view where) {
  if (auto f = json::field(o, "prepend_scheme")) {
    const std::string s = json::get_string(o, "prepend_scheme", where, std::nullopt);
    if (s == "always") return PrependScheme::Always;
    if (s == "never") return PrependScheme::Never;
    if (s == "first") return PrependScheme::First;
    fail(Code::BAD_SYNTAX, "unknown prepend_scheme \"" + escape_for_message(s) + "\"", kNoOffset,
         json::path(where, "prepend_scheme"));
  }
  // Files written before prepend_scheme existed say add_prefix_space.
  return json::get_bool(o, "add_prefix_space", where, true) ? PrependScheme::Always
                                                            : PrependScheme::Never;
}

std::unique_ptr<Decoder> decoder_at(simdjson::dom::element e, std::string_view where, int depth) {
  if (e.is_null()) return nullptr;
  if (depth > json::kMaxComponentDepth)
    fail(Code::DEPTH_LIMIT,
         "decoders nested deeper than " + std::to_string(json::kMaxComponentDepth), kNoOffset,
         std::string(where));
  const json::dom::object o = json::object_of(e, where);
  const std::string_view type = json::type_of(o, where);
  if (type == "ByteLevel") return make_byte_level_decoder();
  if (type == "ByteFallback") return make_byte_fallback_decoder();
  if (type == "Fuse") return make_fuse_decoder();
  if (type == "Metaspace")
    return make_metaspace_decoder_scheme(json::get_char(o, "replacement", where, "\xE2\x96\x81"),
                                         prepend_scheme(o, where));
  if (type == "WordPiece")
    return make_wordpiece_decoder(json::get_string(o, "prefix", where, "##"),
                                  json::get_bool(o, "cleanup", where, true));
  if (type == "Strip")
    return make_strip_decoder(json::get_char(o, "content", where, std::nullopt),
                              json::get_uint(o, "start", where, std::nullopt),
                              json::get_uint(o, "stop", where, std::nullopt));
  if (type == "Replace") {
    json::Pattern p = json::get_pattern(o, "pattern", where);
    std::string content = json::get_string(o, "content", where, std::nullopt);
    if (p.regex) return make_replace_regex_decoder(p.text, std::move(content));
    return make_replace_decoder(std::move(p.text), std::move(content));
  }
  if (type == "CTC")
    return make_ctc_decoder(json::get_string(o, "pad_token", where, "<pad>"),
                            json::get_string(o, "word_delimiter_token", where, "|"),
                            json::get_bool(o, "cleanup", where, true));
  if (type == "BPEDecoder") return make_bpe_decoder(json::get_string(o, "suffix", where, "</w>"));
  if (type == "Sequence") {
    auto f = json::field(o, "decoders");
    const std::string p = json::path(where, "decoders");
    simdjson::dom::array arr;
    if (!f || f->get(arr) != simdjson::SUCCESS)
      fail(Code::BAD_SYNTAX, "expected an array", kNoOffset, p);
    std::vector<std::unique_ptr<Decoder>> parts;
    size_t i = 0;
    for (simdjson::dom::element item : arr) {
      const std::string ip = p + "[" + std::to_string(i++) + "]";
      if (item.is_null()) fail(Code::BAD_SYNTAX, "null decoder in a Sequence", kNoOffset, ip);
      parts.push_back(decoder_at(item, ip, depth + 1));
    }
    return make_sequence_decoder(std::move(parts));
  }
  fail(Code::UNSUPPORTED_FEATURE, "decoder type \"" + escape_for_message(type) + "\"", kNoOffset,
       json::path(where, "type"));
}

}  // namespace

std::unique_ptr<Decoder> decoder_from_json(simdjson::dom::element e, std::string_view where) {
  return decoder_at(e, where, 0);
}

}  // namespace mwt::detail::tok
