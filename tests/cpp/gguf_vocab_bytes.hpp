// Test helper for the GGUF tokenizer tests: tokenizer.ggml.* keys written as GGUF bytes (over
// gguf_bytes.hpp's field-by-field builder), and the two small vocabularies the tests reason
// about: a byte-level BPE one (the 256 byte-alphabet symbols, then merges) and a SentencePiece
// one with byte fallback.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gguf_bytes.hpp"

namespace gguf_tok_test {

using gguf_test::GgufBytes;

// One metadata entry, already encoded (key, type, value bytes).
struct Kv {
  std::string key;
  uint32_t type;
  std::vector<uint8_t> value;
};

inline Kv kv_str(const std::string& key, const std::string& v) {
  GgufBytes b;
  b.str(v);
  return {key, gguf_test::T_STRING, b.b};
}
inline Kv kv_u32(const std::string& key, uint32_t v) {
  GgufBytes b;
  b.u32(v);
  return {key, gguf_test::T_U32, b.b};
}
inline Kv kv_bool(const std::string& key, bool v) {
  GgufBytes b;
  b.u8(v ? 1 : 0);
  return {key, gguf_test::T_BOOL, b.b};
}
inline Kv kv_strs(const std::string& key, const std::vector<std::string>& v) {
  GgufBytes b;
  b.array(gguf_test::T_STRING, v.size());
  for (const auto& s : v) b.str(s);
  return {key, gguf_test::T_ARRAY, b.b};
}
inline Kv kv_i32s(const std::string& key, const std::vector<int32_t>& v) {
  GgufBytes b;
  b.array(gguf_test::T_I32, v.size());
  for (int32_t x : v) b.put(x);
  return {key, gguf_test::T_ARRAY, b.b};
}
inline Kv kv_f32s(const std::string& key, const std::vector<float>& v) {
  GgufBytes b;
  b.array(gguf_test::T_F32, v.size());
  for (float x : v) b.put(x);
  return {key, gguf_test::T_ARRAY, b.b};
}
inline Kv kv_u8s(const std::string& key, const std::vector<uint8_t>& v) {
  GgufBytes b;
  b.array(gguf_test::T_U8, v.size());
  for (uint8_t x : v) b.u8(x);
  return {key, gguf_test::T_ARRAY, b.b};
}

// A GGUF file with no tensors and these entries, in order.
inline std::vector<uint8_t> gguf_file(const std::vector<Kv>& kvs) {
  GgufBytes g;
  g.header(0, kvs.size());
  for (const auto& kv : kvs) {
    g.kv(kv.key, kv.type);
    g.b.insert(g.b.end(), kv.value.begin(), kv.value.end());
  }
  g.pad_to(32);
  return g.b;
}

// The entries with `key` replaced by `kv` (appended when absent), or removed when kv is empty.
inline std::vector<Kv> with(std::vector<Kv> kvs, const std::string& key, std::optional<Kv> kv) {
  for (auto it = kvs.begin(); it != kvs.end(); ++it) {
    if (it->key != key) continue;
    if (kv)
      *it = *kv;
    else
      kvs.erase(it);
    return kvs;
  }
  if (kv) kvs.push_back(*kv);
  return kvs;
}

// GPT-2's byte alphabet: byte b as the UTF-8 of its code point (the printable bytes
// '!'..'~', 0xA1..0xAC, 0xAE..0xFF are themselves; the others take 256, 257, ... in order).
inline std::vector<std::string> byte_alphabet() {
  std::vector<uint32_t> cp(256);
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    cp[b] = printable ? b : next++;
  }
  std::vector<std::string> out;
  for (uint32_t c : cp) {
    std::string s;
    if (c < 0x80) {
      s += static_cast<char>(c);
    } else {
      s += static_cast<char>(0xC0 | (c >> 6));
      s += static_cast<char>(0x80 | (c & 0x3F));
    }
    out.push_back(s);
  }
  return out;
}

// Byte-level BPE: ids 0..255 are the byte alphabet in byte order, then one token per merge
// (left + right) in merge order, then `extra` tokens.
struct BpeVocab {
  std::vector<std::string> tokens;
  std::vector<std::string> merges;  // "left right"
  std::vector<int32_t> types;
  int32_t id(const std::string& t) const {
    for (size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i] == t) return static_cast<int32_t>(i);
    FAIL("no token " << t);
    return -1;
  }
};

inline BpeVocab bpe_vocab(const std::vector<std::pair<std::string, std::string>>& merges,
                          const std::vector<std::pair<std::string, int32_t>>& extra = {}) {
  BpeVocab v;
  v.tokens = byte_alphabet();
  v.types.assign(v.tokens.size(), 1);
  for (const auto& [l, r] : merges) {
    v.merges.push_back(l + " " + r);
    v.tokens.push_back(l + r);
    v.types.push_back(1);
  }
  for (const auto& [t, type] : extra) {
    v.tokens.push_back(t);
    v.types.push_back(type);
  }
  return v;
}

inline std::vector<Kv> bpe_keys(const BpeVocab& v, const std::string& pre) {
  return {kv_str("general.architecture", "gpt2"),
          kv_str("tokenizer.ggml.model", "gpt2"),
          kv_str("tokenizer.ggml.pre", pre),
          kv_strs("tokenizer.ggml.tokens", v.tokens),
          kv_i32s("tokenizer.ggml.token_type", v.types),
          kv_strs("tokenizer.ggml.merges", v.merges)};
}

}  // namespace gguf_tok_test
