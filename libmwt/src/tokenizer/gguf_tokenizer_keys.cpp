// Reading the tokenizer.ggml.* keys of a GGUF file into a GgufVocab (gguf_tokenizer.hpp). The
// file is hostile: every key's type is checked, arrays that run parallel to the token list
// must have its length, ids must be tokens, counts stay under the caps, and each error names
// the key (and element) it is about as the GGUF reader spells fields:
// kv["tokenizer.ggml.merges"].value[3]. Which keys and why: docs/tokenizers-gguf.md#keys.
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.hpp"
#include "tokenizer/gguf_tokenizer.hpp"

namespace mwt::detail::tok {
namespace {

std::string field_of(std::string_view key) { return "kv[\"" + std::string(key) + "\"]"; }
std::string element_of(std::string_view key, uint64_t i) {
  return field_of(key) + ".value[" + std::to_string(i) + "]";  // the GGUF reader's spelling
}

std::string type_of(const MetaEntry& e) {
  if (e.value.type == ValueType::ARRAY)
    return std::string(value_type_name(e.value.elem_type)) + " array";
  return value_type_name(e.value.type);
}

class Keys {
 public:
  explicit Keys(const WeightFile& wf) : wf_(wf) {}

  const MetaEntry* find(std::string_view key) const {
    const int64_t i = wf_.find_metadata(key);
    return i < 0 ? nullptr : &wf_.metadata[static_cast<size_t>(i)];
  }

  [[noreturn]] void wrong_type(const MetaEntry& e, const std::string& want) const {
    fail(Code::TYPE_MISMATCH,
         "holds " + type_of(e) + ", not " + want + " (" + std::string(e.key) + ")", e.offset,
         field_of(e.key));
  }

  std::optional<std::string> str(std::string_view key) const {
    const MetaEntry* e = find(key);
    if (!e) return std::nullopt;
    if (e->value.type != ValueType::STRING) wrong_type(*e, "STRING");
    return std::string(e->value.str);
  }

  std::optional<bool> flag(std::string_view key) const {
    const MetaEntry* e = find(key);
    if (!e) return std::nullopt;
    if (e->value.type != ValueType::BOOL) wrong_type(*e, "BOOL");
    return (e->value.scalar_bits & 0xff) != 0;
  }

  // A token id: any integer type (writers differ: gguf-py writes UINT32); a negative value means
  // "none", as llama.cpp's null token; anything else must be a token of the vocabulary.
  std::optional<int32_t> id(std::string_view key, size_t n_tokens) const {
    const MetaEntry* e = find(key);
    if (!e) return std::nullopt;
    const ValueType t = e->value.type;
    const uint64_t bits = e->value.scalar_bits;
    int64_t v = 0;
    switch (t) {
      case ValueType::U8:
      case ValueType::U16:
      case ValueType::U32: v = static_cast<int64_t>(bits); break;
      case ValueType::U64:
        v = bits > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(bits);
        break;
      case ValueType::I8: v = static_cast<int8_t>(bits); break;
      case ValueType::I16: v = static_cast<int16_t>(bits); break;
      case ValueType::I32: v = static_cast<int32_t>(bits); break;
      case ValueType::I64: v = static_cast<int64_t>(bits); break;
      default: wrong_type(*e, "an integer");
    }
    if (v < 0) return std::nullopt;
    if (static_cast<uint64_t>(v) >= n_tokens)
      fail(Code::OUT_OF_BOUNDS,
           "token id " + std::to_string(v) + " is not below the vocabulary size " +
               std::to_string(n_tokens),
           e->offset, field_of(key));
    return static_cast<int32_t>(v);
  }

  // A string array, or nullptr when absent.
  const MetaEntry* string_array(std::string_view key) const {
    const MetaEntry* e = find(key);
    if (!e) return nullptr;
    if (e->value.type != ValueType::ARRAY || e->value.elem_type != ValueType::STRING)
      wrong_type(*e, "STRING array");
    return e;
  }

  // A numeric array of one of the accepted element types, or nullptr when absent.
  const MetaEntry* numeric_array(std::string_view key, std::initializer_list<ValueType> accepted,
                                 const char* want) const {
    const MetaEntry* e = find(key);
    if (!e) return nullptr;
    if (e->value.type != ValueType::ARRAY) wrong_type(*e, want);
    for (ValueType t : accepted)
      if (e->value.elem_type == t) return e;
    wrong_type(*e, want);
  }

  void require_count(const MetaEntry& e, uint64_t want, std::string_view what) const {
    if (e.value.count != want)
      fail(Code::SIZE_MISMATCH,
           "holds " + std::to_string(e.value.count) + " elements, but tokenizer.ggml.tokens has " +
               std::to_string(want) + " (" + std::string(what) + " runs parallel to the tokens)",
           e.offset, field_of(e.key));
  }

 private:
  const WeightFile& wf_;
};

void read_tokens(const Keys& k, GgufVocab& v) {
  const MetaEntry* e = k.string_array("tokenizer.ggml.tokens");
  if (!e)
    fail(Code::BAD_SYNTAX, "the vocabulary key is missing", kNoOffset,
         field_of("tokenizer.ggml.tokens"));
  const uint64_t n = e->value.count;
  if (n == 0) fail(Code::BAD_SYNTAX, "the vocabulary is empty", e->offset, field_of(e->key));
  if (n > kMaxGgufTokens)
    fail(Code::LIMIT_EXCEEDED,
         std::to_string(n) + " tokens, more than the " + std::to_string(kMaxGgufTokens) +
             " mwt reads",
         e->offset, field_of(e->key));
  v.tokens.reserve(n);
  std::unordered_map<std::string_view, uint64_t> seen;
  seen.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    const std::string_view s = e->value.strings[i];
    if (s.size() > kMaxGgufTokenBytes)
      fail(Code::LIMIT_EXCEEDED,
           "a token of " + std::to_string(s.size()) + " bytes, more than the " +
               std::to_string(kMaxGgufTokenBytes) + " mwt reads",
           e->offset, element_of(e->key, i));
    // llama.cpp names an empty token by its id rather than refusing the file.
    v.tokens.push_back(s.empty() ? "[EMPTY_" + std::to_string(i) + "]" : std::string(s));
  }
  for (uint64_t i = 0; i < n; ++i) {
    const auto [it, fresh] = seen.emplace(v.tokens[i], i);
    if (!fresh)
      fail(Code::DUPLICATE,
           "token \"" + escape_for_message(v.tokens[i]) + "\" has ids " +
               std::to_string(it->second) + " and " + std::to_string(i),
           e->offset, element_of(e->key, i));
  }
}

void read_scores_and_types(const Keys& k, GgufVocab& v) {
  const uint64_t n = v.tokens.size();
  if (const MetaEntry* e = k.numeric_array(
          "tokenizer.ggml.scores", {ValueType::F32, ValueType::I32}, "FLOAT32 or INT32 array")) {
    k.require_count(*e, n, "scores");
    v.scores.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
      if (e->value.elem_type == ValueType::F32) {
        std::memcpy(&v.scores[i], e->value.array_data + i * 4, 4);
      } else {
        int32_t s;
        std::memcpy(&s, e->value.array_data + i * 4, 4);
        v.scores[i] = static_cast<float>(s);
      }
    }
  }
  if (const MetaEntry* e =
          k.numeric_array("tokenizer.ggml.token_type", {ValueType::I32}, "INT32 array")) {
    k.require_count(*e, n, "token types");
    v.types.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
      std::memcpy(&v.types[i], e->value.array_data + i * 4, 4);
      // llama.cpp reads a value outside its enum as UNDEFINED: neither normal nor special.
      if (v.types[i] < TOKEN_UNDEFINED || v.types[i] > TOKEN_BYTE) v.types[i] = TOKEN_UNDEFINED;
    }
  }
}

void read_merges(const Keys& k, GgufVocab& v) {
  const MetaEntry* e = k.string_array("tokenizer.ggml.merges");
  if (!e) return;
  v.has_merges = true;
  const uint64_t n = e->value.count;
  if (n > kMaxGgufMerges)
    fail(Code::LIMIT_EXCEEDED,
         std::to_string(n) + " merges, more than the " + std::to_string(kMaxGgufMerges) +
             " mwt reads",
         e->offset, field_of(e->key));
  v.merges.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    const std::string_view s = e->value.strings[i];
    // "left right", split at the first space after the first byte (a left part may be a space).
    const size_t at = s.size() > 1 ? s.find(' ', 1) : std::string_view::npos;
    if (at == std::string_view::npos || at + 1 >= s.size())
      fail(Code::BAD_SYNTAX,
           "merge \"" + escape_for_message(s) + "\" is not two tokens separated by a space",
           e->offset, element_of(e->key, i));
    v.merges.emplace_back(std::string(s.substr(0, at)), std::string(s.substr(at + 1)));
  }
}

void read_charsmap(const Keys& k, GgufVocab& v) {
  const MetaEntry* e = k.numeric_array("tokenizer.ggml.precompiled_charsmap",
                                       {ValueType::U8, ValueType::I8}, "UINT8 or INT8 array");
  if (!e) return;
  const uint64_t n = e->value.count;
  std::string blob(reinterpret_cast<const char*>(e->value.array_data), n);
  // The blob starts with the byte size of its double array, which must leave room for at
  // least the terminating string table (as llama.cpp checks before using it).
  uint32_t trie_bytes = 0;
  if (n < 4)
    fail(Code::TRUNCATED, "a charsmap of " + std::to_string(n) + " bytes has no size header",
         e->offset, field_of(e->key));
  std::memcpy(&trie_bytes, blob.data(), 4);
  if (uint64_t{trie_bytes} + 4 >= n)
    fail(Code::OUT_OF_BOUNDS,
         "its double array of " + std::to_string(trie_bytes) + " bytes does not fit in " +
             std::to_string(n) + " bytes",
         e->offset, field_of(e->key));
  v.precompiled_charsmap = std::move(blob);
}

}  // namespace

bool has_gguf_tokenizer(const WeightFile& wf) {
  return wf.format == Format::GGUF && wf.find_metadata("tokenizer.ggml.model") >= 0;
}

GgufVocab read_gguf_vocab(const WeightFile& wf) {
  const Keys k(wf);
  GgufVocab v;
  const auto model = k.str("tokenizer.ggml.model");
  if (!model)
    fail(Code::BAD_SYNTAX, "the tokenizer model key is missing", kNoOffset,
         field_of("tokenizer.ggml.model"));
  v.model = *model;
  v.pre = k.str("tokenizer.ggml.pre").value_or("");
  read_tokens(k, v);
  read_scores_and_types(k, v);
  read_merges(k, v);
  read_charsmap(k, v);
  const size_t n = v.tokens.size();
  v.bos = k.id("tokenizer.ggml.bos_token_id", n);
  v.eos = k.id("tokenizer.ggml.eos_token_id", n);
  v.unk = k.id("tokenizer.ggml.unknown_token_id", n);
  v.sep = k.id("tokenizer.ggml.seperator_token_id", n);  // sic: llama.cpp's spelling
  v.pad = k.id("tokenizer.ggml.padding_token_id", n);
  v.cls = k.id("tokenizer.ggml.cls_token_id", n);
  v.mask = k.id("tokenizer.ggml.mask_token_id", n);
  v.eot = k.id("tokenizer.ggml.eot_token_id", n);
  v.eom = k.id("tokenizer.ggml.eom_token_id", n);
  v.add_bos = k.flag("tokenizer.ggml.add_bos_token");
  v.add_eos = k.flag("tokenizer.ggml.add_eos_token");
  v.add_sep = k.flag("tokenizer.ggml.add_sep_token");
  v.add_space_prefix = k.flag("tokenizer.ggml.add_space_prefix");
  v.remove_extra_whitespaces = k.flag("tokenizer.ggml.remove_extra_whitespaces");
  v.lowercase = k.flag("tokenizer.ggml.normalizer.lowercase");
  v.strip_accents = k.flag("tokenizer.ggml.normalizer.strip_accents");
  v.chat_template = k.str("tokenizer.chat_template").value_or("");
  return v;
}

}  // namespace mwt::detail::tok
