// C ABI: tokenizers (mwt_tokenizer.h): opening one from a path, a weight file or tokenizer.json
// text, and encode / decode / lookups over the immutable handle. Buffers handed to the caller
// are malloc'd, so mwt_string_free and mwt_tokenizer_buffer_free release them with free().
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "capi/tokenizer_handle.hpp"
#include "core/sigbus_guard.hpp"
#include "core/thread_split.hpp"
#include "tokenizer/components.hpp"
#include "tokenizer/tokenizer_files.hpp"

namespace {

using mwt::capi::bad_argument;
using mwt::capi::require_out;
using mwt::capi::tokenizer_of;
using mwt::detail::tok::TokenId;
using mwt::detail::tok::Tokenizer;

template <typename T>
T* alloc_array(size_t n) {
  if (n == 0) return nullptr;
  if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
  T* p = static_cast<T*>(std::malloc(n * sizeof(T)));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void hand_out(const std::string& text, char** out, size_t* len) {
  char* copy = alloc_array<char>(text.size() + 1);
  std::memcpy(copy, text.c_str(), text.size() + 1);
  *out = copy;
  *len = text.size();
}

std::string_view text_arg(const char* p, size_t n, const char* function, const char* name) {
  if (p == nullptr && n != 0) bad_argument(function, std::string(name) + " is NULL");
  return n == 0 ? std::string_view() : std::string_view(p, n);
}

mwt_status* hand_over(std::unique_ptr<Tokenizer> tok, mwt_tokenizer** out) {
  auto handle = std::make_unique<mwt_tokenizer>();
  handle->tok = std::move(tok);
  *out = handle.release();
  return nullptr;
}

}  // namespace

extern "C" {

MWT_API mwt_status* mwt_tokenizer_open(const char* path, const mwt_options* options,
                                       mwt_tokenizer** out) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_tokenizer_open";
  if (path == nullptr) bad_argument(fn, "path is NULL");
  require_out(out, fn, "out");
  const mwt::detail::OpenOptions opts = options ? options->opts : mwt::detail::OpenOptions{};
  std::unique_ptr<Tokenizer> tok;
  // Guarded: a weight file's keys are read from its map (mwt.h, "Mapped files").
  mwt::detail::run_guarded([&] { tok = mwt::detail::tok::open_tokenizer(path, opts); });
  return hand_over(std::move(tok), out);
  MWT_API_END
}

MWT_API mwt_status* mwt_tokenizer_from_file(const mwt_file* file, const mwt_options* options,
                                            mwt_tokenizer** out) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_tokenizer_from_file";
  const auto& wf = mwt::capi::file_of(file, fn);
  require_out(out, fn, "out");
  (void)options;  // reserved: nothing of opening applies to a file already open
  std::unique_ptr<Tokenizer> tok;
  mwt::detail::run_guarded([&] { tok = mwt::detail::tok::tokenizer_from_weight_file(wf); });
  for (const auto& shard : wf.files)
    if (shard) shard->require_unchanged();
  return hand_over(std::move(tok), out);
  MWT_API_END
}

MWT_API mwt_status* mwt_tokenizer_from_json(const char* tokenizer_json, size_t tokenizer_json_len,
                                            const char* config_json, size_t config_json_len,
                                            const char* special_tokens_map_json,
                                            size_t special_tokens_map_len, mwt_tokenizer** out) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_tokenizer_from_json";
  const auto json = text_arg(tokenizer_json, tokenizer_json_len, fn, "tokenizer_json");
  const auto config = text_arg(config_json, config_json_len, fn, "config_json");
  const auto special =
      text_arg(special_tokens_map_json, special_tokens_map_len, fn, "special_tokens_map_json");
  require_out(out, fn, "out");
  return hand_over(mwt::detail::tok::load_tokenizer_json(json, config, special), out);
  MWT_API_END
}

MWT_API void mwt_tokenizer_free(mwt_tokenizer* tokenizer) { delete tokenizer; }

MWT_API void mwt_tokenizer_buffer_free(void* buffer) { std::free(buffer); }

MWT_API mwt_status* mwt_tokenizer_encode(const mwt_tokenizer* tokenizer, const char* text,
                                         size_t len, int add_special_tokens, int32_t** ids,
                                         size_t* n_ids) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_tokenizer_encode";
  const Tokenizer& tok = tokenizer_of(tokenizer, fn);
  const auto input = text_arg(text, len, fn, "text");
  require_out(ids, fn, "ids");
  require_out(n_ids, fn, "n_ids");
  const std::vector<TokenId> out = tok.encode(input, add_special_tokens != 0);
  int32_t* buf = alloc_array<int32_t>(out.size());
  if (!out.empty()) std::memcpy(buf, out.data(), out.size() * sizeof(int32_t));
  *ids = buf;
  *n_ids = out.size();
  MWT_API_END
}

MWT_API mwt_status* mwt_tokenizer_encode_batch(const mwt_tokenizer* tokenizer,
                                               const char* const* texts, const size_t* lens,
                                               size_t count, int add_special_tokens,
                                               uint32_t n_threads, int32_t** ids,
                                               uint64_t** offsets, size_t* n_ids) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_tokenizer_encode_batch";
  const Tokenizer& tok = tokenizer_of(tokenizer, fn);
  if (count != 0 && texts == nullptr) bad_argument(fn, "texts is NULL");
  if (count != 0 && lens == nullptr) bad_argument(fn, "lens is NULL");
  require_out(ids, fn, "ids");
  require_out(offsets, fn, "offsets");
  require_out(n_ids, fn, "n_ids");
  std::vector<std::string_view> inputs(count);
  for (size_t i = 0; i < count; ++i)
    inputs[i] = text_arg(texts[i], lens[i], fn, ("texts[" + std::to_string(i) + "]").c_str());
  std::vector<std::vector<TokenId>> results(count);
  unsigned threads = n_threads == 0 ? mwt::detail::default_thread_count()
                                    : std::min<uint32_t>(n_threads, mwt::detail::kMaxThreads);
  if (threads > count) threads = static_cast<unsigned>(count == 0 ? 1 : count);
  const bool add = add_special_tokens != 0;
  mwt::detail::run_split(count, threads, [&](mwt::detail::Range r) {
    for (uint64_t i = r.begin; i < r.end; ++i) results[i] = tok.encode(inputs[i], add);
  });
  size_t total = 0;
  for (const auto& r : results) total += r.size();
  uint64_t* offs = alloc_array<uint64_t>(count + 1);
  int32_t* buf = nullptr;
  try {
    buf = alloc_array<int32_t>(total);
  } catch (...) {
    std::free(offs);
    throw;
  }
  size_t at = 0;
  for (size_t i = 0; i < count; ++i) {
    offs[i] = at;
    if (!results[i].empty())
      std::memcpy(buf + at, results[i].data(), results[i].size() * sizeof(int32_t));
    at += results[i].size();
  }
  offs[count] = at;
  *ids = buf;
  *offsets = offs;
  *n_ids = total;
  MWT_API_END
}

MWT_API mwt_status* mwt_tokenizer_decode(const mwt_tokenizer* tokenizer, const int32_t* ids,
                                         size_t n, int skip_special_tokens, char** text,
                                         size_t* len) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_tokenizer_decode";
  const Tokenizer& tok = tokenizer_of(tokenizer, fn);
  if (ids == nullptr && n != 0) bad_argument(fn, "ids is NULL");
  require_out(text, fn, "text");
  require_out(len, fn, "len");
  const std::span<const TokenId> view(n == 0 ? nullptr : ids, n);
  hand_out(tok.decode(view, skip_special_tokens != 0), text, len);
  MWT_API_END
}

MWT_API mwt_status* mwt_tokenizer_token_to_id(const mwt_tokenizer* tokenizer, const char* token,
                                              size_t len, int32_t* id) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_tokenizer_token_to_id";
  const Tokenizer& tok = tokenizer_of(tokenizer, fn);
  const auto text = text_arg(token, len, fn, "token");
  require_out(id, fn, "id");
  *id = tok.token_to_id(text).value_or(-1);
  MWT_API_END
}

MWT_API mwt_status* mwt_tokenizer_id_to_token(const mwt_tokenizer* tokenizer, int32_t id,
                                              const char** token, size_t* len) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_tokenizer_id_to_token";
  const Tokenizer& tok = tokenizer_of(tokenizer, fn);
  require_out(token, fn, "token");
  require_out(len, fn, "len");
  const auto found = tok.id_to_token(id);
  *token = found ? found->data() : nullptr;
  *len = found ? found->size() : 0;
  MWT_API_END
}

MWT_API size_t mwt_tokenizer_vocab_size(const mwt_tokenizer* tokenizer) {
  MWT_API_BEGIN
  return tokenizer && tokenizer->tok ? tokenizer->tok->vocab_size() : 0;
  MWT_API_END_RETURN(0)
}

MWT_API mwt_status* mwt_tokenizer_info(const mwt_tokenizer* tokenizer, char** json, size_t* len) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_tokenizer_info";
  const Tokenizer& tok = tokenizer_of(tokenizer, fn);
  require_out(json, fn, "json");
  require_out(len, fn, "len");
  hand_out(mwt::capi::tokenizer_info_json(tok), json, len);
  MWT_API_END
}

}  // extern "C"
