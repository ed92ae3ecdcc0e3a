// fuzz_gguf_tokenizer: fuzz bytes -> a GGUF file with tokenizer.ggml.* keys -> the tokenizer ->
// encode and decode. Loading must return a tokenizer or throw mwt::detail::Error (never
// INTERNAL); encoding any UTF-8 text must give ids inside the vocabulary. The input is read as
// structure so every run reaches the loader without seeds: byte 0 picks the model, byte 1 the
// pre-tokenizer name, then '\x01'-separated fields: tokens ('\n'-separated), merges ('\n'),
// token types (one byte each), scores (one byte each), the text to encode.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "formats/open.hpp"
#include "tokenizer/gguf_pre.hpp"
#include "tokenizer/gguf_tokenizer.hpp"

using namespace mwt::detail;

namespace {

std::vector<std::string_view> fields(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t at = 0;
  for (;;) {
    const size_t next = s.find(sep, at);
    out.push_back(
        s.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at));
    if (next == std::string_view::npos) return out;
    at = next + 1;
  }
}

struct Gguf {
  std::vector<uint8_t> b;
  uint64_t n_kv = 0;
  template <typename T>
  void put(T v) {
    uint8_t tmp[sizeof(T)];
    std::memcpy(tmp, &v, sizeof v);
    b.insert(b.end(), tmp, tmp + sizeof v);
  }
  void str(std::string_view s) {
    put<uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
  }
  void key(std::string_view k, uint32_t type) {
    str(k);
    put(type);
    ++n_kv;
  }
  void strings(std::string_view k, const std::vector<std::string_view>& v) {
    key(k, 9);
    put<uint32_t>(8);
    put<uint64_t>(v.size());
    for (auto s : v) str(s);
  }
  std::vector<uint8_t> file() const {
    std::vector<uint8_t> out = {'G', 'G', 'U', 'F', 3, 0, 0, 0};
    out.resize(24, 0);
    std::memcpy(out.data() + 16, &n_kv, 8);
    out.insert(out.end(), b.begin(), b.end());
    return out;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const char* const kModels[] = {"gpt2", "llama", "t5", "bert", "other"};
  static const std::vector<std::string_view> kPres = tok::gguf_pre_names();
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  const auto parts = fields(in, '\x01');
  Gguf g;
  g.key("tokenizer.ggml.model", 8);
  g.str(kModels[data[0] % 5]);
  g.key("tokenizer.ggml.pre", 8);
  g.str(kPres[data[1] % kPres.size()]);
  const auto tokens = parts.size() > 0 ? fields(parts[0], '\n') : std::vector<std::string_view>{};
  g.strings("tokenizer.ggml.tokens", tokens);
  if (parts.size() > 1) g.strings("tokenizer.ggml.merges", fields(parts[1], '\n'));
  if (parts.size() > 2) {
    g.key("tokenizer.ggml.token_type", 9);
    g.put<uint32_t>(5);
    g.put<uint64_t>(parts[2].size());
    for (char c : parts[2]) g.put<int32_t>(static_cast<int8_t>(c) % 8);
  }
  if (parts.size() > 3) {
    g.key("tokenizer.ggml.scores", 9);
    g.put<uint32_t>(6);
    g.put<uint64_t>(parts[3].size());
    for (char c : parts[3]) g.put<float>(static_cast<float>(static_cast<int8_t>(c)) / 8.0f);
  }
  const std::string_view text = parts.size() > 4 ? parts[4] : std::string_view("hello world");
  std::unique_ptr<tok::Tokenizer> t;
  try {
    OpenOptions opts;
    const auto wf = read_gguf(MappedFile::from_bytes(g.file(), "fuzz.gguf"), opts);
    t = tok::load_gguf_tokenizer(*wf);
  } catch (const Error& e) {
    if (e.code() == Code::INTERNAL) __builtin_trap();
    return 0;
  }
  for (const bool special : {false, true}) {
    std::vector<tok::TokenId> ids;
    try {
      ids = t->encode(text, special);
    } catch (const Error& e) {
      if (e.code() != Code::BAD_ENCODING) __builtin_trap();  // only non-UTF-8 text is refused
      return 0;
    }
    for (tok::TokenId id : ids)
      if (id < 0 || static_cast<size_t>(id) >= t->vocab_size()) __builtin_trap();
    try {
      (void)t->decode(ids, special);
    } catch (const Error& e) {
      if (e.code() == Code::INTERNAL) __builtin_trap();
    }
  }
  return 0;
}
