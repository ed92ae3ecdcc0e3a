// tokenizer.json "normalizer" objects -> Normalizers, and the field readers the decoders share.
// Unknown fields are ignored (as serde does); a missing field takes the default of HF's Python
// constructor where it has one, otherwise it is BAD_SYNTAX naming its path.
#include "tokenizer/normalizers_json.hpp"

#include <vector>

#include "core/error.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/normalizers.hpp"
#include "tokenizer/normalizers_unicode.hpp"

namespace mwt::detail::tok {
namespace json {

std::string path(std::string_view where, std::string_view key) {
  std::string p(where);
  p += '.';
  p += key;
  return p;
}

dom::object object_of(dom::element e, std::string_view where) {
  dom::object o;
  if (e.get(o) != simdjson::SUCCESS)
    fail(Code::BAD_SYNTAX, "expected an object", kNoOffset, std::string(where));
  return o;
}

std::optional<dom::element> field(dom::object o, std::string_view key) {
  dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return std::nullopt;
  return e;
}

std::string_view type_of(dom::object o, std::string_view where) {
  auto e = field(o, "type");
  std::string_view t;
  if (!e || e->get(t) != simdjson::SUCCESS)
    fail(Code::BAD_SYNTAX, "missing or non-string \"type\"", kNoOffset, path(where, "type"));
  return t;
}

namespace {
[[noreturn]] void missing(std::string_view where, std::string_view key) {
  fail(Code::BAD_SYNTAX, "missing field", kNoOffset, path(where, key));
}
}  // namespace

bool get_bool(dom::object o, std::string_view key, std::string_view where,
              std::optional<bool> fallback) {
  auto e = field(o, key);
  if (!e) {
    if (!fallback) missing(where, key);
    return *fallback;
  }
  bool v;
  if (e->get(v) != simdjson::SUCCESS)
    fail(Code::BAD_SYNTAX, "expected a boolean", kNoOffset, path(where, key));
  return v;
}

std::string get_string(dom::object o, std::string_view key, std::string_view where,
                       std::optional<std::string_view> fallback) {
  auto e = field(o, key);
  if (!e) {
    if (!fallback) missing(where, key);
    return std::string(*fallback);
  }
  std::string_view v;
  if (e->get(v) != simdjson::SUCCESS)
    fail(Code::BAD_SYNTAX, "expected a string", kNoOffset, path(where, key));
  return std::string(v);
}

uint64_t get_uint(dom::object o, std::string_view key, std::string_view where,
                  std::optional<uint64_t> fallback) {
  auto e = field(o, key);
  if (!e) {
    if (!fallback) missing(where, key);
    return *fallback;
  }
  uint64_t v;
  if (e->get(v) != simdjson::SUCCESS)
    fail(Code::BAD_SYNTAX, "expected a non-negative integer", kNoOffset, path(where, key));
  return v;
}

std::string get_char(dom::object o, std::string_view key, std::string_view where,
                     std::optional<std::string_view> fallback) {
  std::string s = get_string(o, key, where, fallback);
  char32_t cp = kInvalidCp;
  if (s.empty() || utf8_decode(s, 0, cp) != s.size() || cp == kInvalidCp)
    fail(Code::BAD_SYNTAX, "expected exactly one character, got \"" + escape_for_message(s) + "\"",
         kNoOffset, path(where, key));
  return s;
}

Pattern get_pattern(dom::object o, std::string_view key, std::string_view where) {
  auto e = field(o, key);
  if (!e) missing(where, key);
  const std::string p = path(where, key);
  dom::object po = object_of(*e, p);
  Pattern out;
  size_t n = 0;
  for (auto [k, v] : po) {
    ++n;
    std::string_view text;
    if (k == "String")
      out.regex = false;
    else if (k == "Regex")
      out.regex = true;
    else
      fail(Code::UNSUPPORTED_FEATURE, "pattern kind \"" + escape_for_message(k) + "\"", kNoOffset,
           p);
    if (v.get(text) != simdjson::SUCCESS)
      fail(Code::BAD_SYNTAX, "expected a string", kNoOffset, path(p, k));
    out.text = std::string(text);
  }
  if (n != 1) fail(Code::BAD_SYNTAX, "expected one of String / Regex", kNoOffset, p);
  return out;
}

std::string base64_decode(std::string_view s, std::string_view where) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (s.size() % 4 != 0)
    fail(Code::BAD_SYNTAX, "base64 length " + std::to_string(s.size()) + " is not a multiple of 4",
         kNoOffset, std::string(where));
  std::string out;
  out.reserve(s.size() / 4 * 3);
  for (size_t i = 0; i < s.size(); i += 4) {
    const bool last = i + 4 == s.size();
    int pad = 0;
    if (last) pad = (s[i + 3] == '=') + (s[i + 3] == '=' && s[i + 2] == '=');
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const int d = k >= 4 - pad ? 0 : value(s[i + k]);
      if (d < 0)
        fail(Code::BAD_SYNTAX, "invalid base64 character at index " + std::to_string(i + k),
             kNoOffset, std::string(where));
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    // Canonical encoding: the bits under the padding are zero (Rust's STANDARD engine).
    if ((pad == 1 && (v & 0xFF) != 0) || (pad == 2 && (v & 0xFFFF) != 0))
      fail(Code::BAD_SYNTAX, "non-canonical base64 padding", kNoOffset, std::string(where));
    out.push_back(static_cast<char>(v >> 16));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xFF));
  }
  return out;
}

}  // namespace json

namespace {

std::unique_ptr<Normalizer> normalizer_at(simdjson::dom::element e, std::string_view where,
                                          int depth) {
  if (e.is_null()) return nullptr;
  if (depth > json::kMaxComponentDepth)
    fail(Code::DEPTH_LIMIT,
         "normalizers nested deeper than " + std::to_string(json::kMaxComponentDepth), kNoOffset,
         std::string(where));
  const json::dom::object o = json::object_of(e, where);
  const std::string_view type = json::type_of(o, where);
  if (type == "NFC") return make_unicode_normalizer(NormalForm::NFC);
  if (type == "NFD") return make_unicode_normalizer(NormalForm::NFD);
  if (type == "NFKC") return make_unicode_normalizer(NormalForm::NFKC);
  if (type == "NFKD") return make_unicode_normalizer(NormalForm::NFKD);
  if (type == "Lowercase") return make_lowercase();
  if (type == "StripAccents") return make_strip_accents();
  if (type == "Nmt") return make_nmt();
  if (type == "ByteLevel") return make_byte_level_normalizer();
  if (type == "Strip")
    return make_strip_normalizer(json::get_bool(o, "strip_left", where, true),
                                 json::get_bool(o, "strip_right", where, true));
  if (type == "Prepend") return make_prepend(json::get_string(o, "prepend", where, std::nullopt));
  if (type == "Replace") {
    json::Pattern p = json::get_pattern(o, "pattern", where);
    std::string content = json::get_string(o, "content", where, std::nullopt);
    if (p.regex) return make_replace_regex_normalizer(p.text, std::move(content));
    return make_replace_normalizer(std::move(p.text), std::move(content));
  }
  if (type == "BertNormalizer") {
    std::optional<bool> strip;
    if (auto s = json::field(o, "strip_accents"); s && !s->is_null())
      strip = json::get_bool(o, "strip_accents", where, std::nullopt);
    return make_bert_normalizer(json::get_bool(o, "clean_text", where, true),
                                json::get_bool(o, "handle_chinese_chars", where, true), strip,
                                json::get_bool(o, "lowercase", where, true));
  }
  if (type == "Precompiled") {
    auto f = json::field(o, "precompiled_charsmap");
    if (!f)
      fail(Code::BAD_SYNTAX, "missing field", kNoOffset, json::path(where, "precompiled_charsmap"));
    if (f->is_null()) return make_precompiled("");
    const std::string p = json::path(where, "precompiled_charsmap");
    const std::string blob =
        json::base64_decode(json::get_string(o, "precompiled_charsmap", where, std::nullopt), p);
    return make_precompiled(blob);
  }
  if (type == "Sequence") {
    auto f = json::field(o, "normalizers");
    const std::string p = json::path(where, "normalizers");
    simdjson::dom::array arr;
    if (!f || f->get(arr) != simdjson::SUCCESS)
      fail(Code::BAD_SYNTAX, "expected an array", kNoOffset, p);
    std::vector<std::unique_ptr<Normalizer>> parts;
    size_t i = 0;
    for (simdjson::dom::element item : arr) {
      const std::string ip = p + "[" + std::to_string(i++) + "]";
      if (item.is_null()) fail(Code::BAD_SYNTAX, "null normalizer in a Sequence", kNoOffset, ip);
      parts.push_back(normalizer_at(item, ip, depth + 1));
    }
    return make_sequence_normalizer(std::move(parts));
  }
  fail(Code::UNSUPPORTED_FEATURE, "normalizer type \"" + escape_for_message(type) + "\"", kNoOffset,
       json::path(where, "type"));
}

}  // namespace

std::unique_ptr<Normalizer> normalizer_from_json(simdjson::dom::element e, std::string_view where) {
  return normalizer_at(e, where, 0);
}

}  // namespace mwt::detail::tok
