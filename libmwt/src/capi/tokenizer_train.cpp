// C ABI: training a byte-level BPE tokenizer (tokenizer/train_bpe.hpp), mwt_tokenizer_train.h.
// The options handle binds each MWT_TRAIN_KEYS row to its BpeTrainOptions member here.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "capi/barrier.hpp"
#include "core/json_text.hpp"
#include "mwt/mwt.h"
#include "tokenizer/train_bpe.hpp"

namespace train = mwt::detail::tok::train;

struct mwt_train_options {
  train::BpeTrainOptions opt;
  unsigned threads = 0;
};

namespace {

#define MWT_TRAIN_ID_(id, key, def, min, max, doc) id,
enum class KeyId { MWT_TRAIN_KEYS(MWT_TRAIN_ID_) };
#undef MWT_TRAIN_ID_

struct TrainKey {
  const char* name;
  int64_t def, min, max;
  KeyId id;
};
#define MWT_TRAIN_ROW_(id, key, def, min, max, doc) {key, def, min, max, KeyId::id},
constexpr TrainKey kKeys[] = {MWT_TRAIN_KEYS(MWT_TRAIN_ROW_)};
#undef MWT_TRAIN_ROW_

// -1 stands for "none" in the optional settings. The defaults of the header are
// BpeTrainOptions' own (tests/cpp/test_tokenizer_train_abi.cpp checks every row).
int64_t get(const mwt_train_options& o, KeyId id) {
  const auto& t = o.opt;
  switch (id) {
    case KeyId::VOCAB_SIZE: return static_cast<int64_t>(t.vocab_size);
    case KeyId::MIN_FREQUENCY: return static_cast<int64_t>(t.min_frequency);
    case KeyId::THREADS: return o.threads;
    case KeyId::BYTE_LEVEL_ALPHABET: return t.byte_level_alphabet ? 1 : 0;
    case KeyId::LIMIT_ALPHABET:
      return t.limit_alphabet ? static_cast<int64_t>(*t.limit_alphabet) : -1;
    case KeyId::MAX_TOKEN_LENGTH:
      return t.max_token_length ? static_cast<int64_t>(*t.max_token_length) : -1;
  }
  return 0;
}

void set(mwt_train_options& o, KeyId id, int64_t v) {
  auto& t = o.opt;
  switch (id) {
    case KeyId::VOCAB_SIZE: t.vocab_size = static_cast<uint64_t>(v); return;
    case KeyId::MIN_FREQUENCY: t.min_frequency = static_cast<uint64_t>(v); return;
    case KeyId::THREADS: o.threads = static_cast<unsigned>(v); return;
    case KeyId::BYTE_LEVEL_ALPHABET: t.byte_level_alphabet = v == 1; return;
    case KeyId::LIMIT_ALPHABET:
      t.limit_alphabet = v < 0 ? std::nullopt : std::optional<uint64_t>(v);
      return;
    case KeyId::MAX_TOKEN_LENGTH:
      t.max_token_length = v < 0 ? std::nullopt : std::optional<uint64_t>(v);
      return;
  }
}

const TrainKey& find_key(const char* function, const char* key) {
  if (key == nullptr) mwt::capi::bad_argument(function, "key is NULL");
  for (const auto& k : kKeys)
    if (std::strcmp(k.name, key) == 0) return k;
  mwt::capi::bad_argument(
      function, "unknown training option key \"" + mwt::detail::escape_for_message(key) + "\"");
}

char* copy_out(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

struct Outputs {
  char** json;
  size_t* json_len;
  char** summary;
  size_t* summary_len;
};

// Counting (by `count`) then merging, with the C callback adapted; fills the out-pointers.
template <typename Count>
void run_training(const char* fn, const mwt_train_options* options, mwt_train_progress_fn cb,
                  void* user, const Outputs& out, const Count& count) {
  mwt::capi::require_out(out.json, fn, "tokenizer_json");
  mwt::capi::require_out(out.json_len, fn, "tokenizer_json_len");
  if (out.summary != nullptr) mwt::capi::require_out(out.summary_len, fn, "summary_len");
  const mwt_train_options defaults;
  const mwt_train_options& o = options != nullptr ? *options : defaults;
  train::Progress progress;
  if (cb != nullptr)
    progress = [cb, user](train::Stage s, uint64_t done, uint64_t total) {
      return cb(static_cast<mwt_train_stage>(s), done, total, user) == 0;
    };
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<train::WordCounts> words = count(o.threads, progress);
  std::optional<train::BpeTrainResult> result;
  if (words) result = train::train_bpe(*words, o.opt, progress);
  if (!result) {  // cancelled
    *out.json = nullptr;
    *out.json_len = 0;
    if (out.summary != nullptr) {
      *out.summary = nullptr;
      *out.summary_len = 0;
    }
    return;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string text = train::tokenizer_json(*result);
  const std::string summary_text =
      out.summary != nullptr ? train::summary_json(*words, *result, seconds) : std::string();
  char* json = copy_out(text);
  char* summary = nullptr;
  if (out.summary != nullptr) {
    summary = static_cast<char*>(std::malloc(summary_text.size() + 1));
    if (summary == nullptr) {
      std::free(json);
      throw std::bad_alloc();
    }
    std::memcpy(summary, summary_text.c_str(), summary_text.size() + 1);
  }
  *out.json = json;
  *out.json_len = text.size();
  if (out.summary != nullptr) {
    *out.summary = summary;
    *out.summary_len = summary_text.size();
  }
}

}  // namespace

extern "C" {

MWT_API mwt_status* mwt_train_options_create(mwt_train_options** out) {
  MWT_API_BEGIN
  mwt::capi::require_out(out, "mwt_train_options_create", "out");
  *out = new mwt_train_options;
  MWT_API_END
}

MWT_API void mwt_train_options_free(mwt_train_options* options) { delete options; }

MWT_API mwt_status* mwt_train_options_set_int(mwt_train_options* options, const char* key,
                                              int64_t value) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_train_options_set_int";
  if (options == nullptr) mwt::capi::bad_argument(fn, "options is NULL");
  const TrainKey& k = find_key(fn, key);
  if (value < k.min || value > k.max)
    mwt::capi::bad_argument(fn, std::string(k.name) + " takes " + std::to_string(k.min) + ".." +
                                    std::to_string(k.max) + ", not " + std::to_string(value));
  set(*options, k.id, value);
  MWT_API_END
}

MWT_API mwt_status* mwt_train_options_get_int(const mwt_train_options* options, const char* key,
                                              int64_t* out) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_train_options_get_int";
  if (options == nullptr) mwt::capi::bad_argument(fn, "options is NULL");
  const TrainKey& k = find_key(fn, key);
  mwt::capi::require_out(out, fn, "out");
  *out = get(*options, k.id);
  MWT_API_END
}

MWT_API mwt_status* mwt_train_options_add_special_token(mwt_train_options* options,
                                                        const char* token, size_t len) {
  MWT_API_BEGIN
  constexpr const char* fn = "mwt_train_options_add_special_token";
  if (options == nullptr) mwt::capi::bad_argument(fn, "options is NULL");
  if (token == nullptr && len != 0) mwt::capi::bad_argument(fn, "token is NULL");
  if (len == 0) mwt::capi::bad_argument(fn, "a special token may not be empty");
  mwt::detail::require_utf8(reinterpret_cast<const uint8_t*>(token), len, 0, "special token");
  options->opt.special_tokens.emplace_back(token, len);
  MWT_API_END
}

MWT_API size_t mwt_train_options_special_token_count(const mwt_train_options* options) {
  try {
    return options == nullptr ? 0 : options->opt.special_tokens.size();
    MWT_API_END_RETURN(0)
  }

  MWT_API mwt_status* mwt_tokenizer_train_files(
      const char* const* paths, size_t n_paths, const mwt_train_options* options,
      mwt_train_progress_fn progress, void* user, char** tokenizer_json, size_t* tokenizer_json_len,
      char** summary_json, size_t* summary_len) {
    MWT_API_BEGIN
    constexpr const char* fn = "mwt_tokenizer_train_files";
    if (paths == nullptr && n_paths != 0) mwt::capi::bad_argument(fn, "paths is NULL");
    std::vector<std::string> list;
    for (size_t i = 0; i < n_paths; ++i) {
      if (paths[i] == nullptr)
        mwt::capi::bad_argument(fn, "paths[" + std::to_string(i) + "] is NULL");
      list.emplace_back(paths[i]);
    }
    run_training(fn, options, progress, user,
                 Outputs{tokenizer_json, tokenizer_json_len, summary_json, summary_len},
                 [&](unsigned threads, const train::Progress& p) {
                   return train::count_words_in_files(list, threads, p);
                 });
    MWT_API_END
  }

  MWT_API mwt_status* mwt_tokenizer_train_texts(
      const char* const* texts, const size_t* lens, size_t n_texts,
      const mwt_train_options* options, mwt_train_progress_fn progress, void* user,
      char** tokenizer_json, size_t* tokenizer_json_len, char** summary_json, size_t* summary_len) {
    MWT_API_BEGIN
    constexpr const char* fn = "mwt_tokenizer_train_texts";
    if ((texts == nullptr || lens == nullptr) && n_texts != 0)
      mwt::capi::bad_argument(fn, "texts or lens is NULL");
    std::vector<std::string_view> list;
    list.reserve(n_texts);
    for (size_t i = 0; i < n_texts; ++i) {
      if (texts[i] == nullptr && lens[i] != 0)
        mwt::capi::bad_argument(fn, "texts[" + std::to_string(i) + "] is NULL");
      list.emplace_back(texts[i] == nullptr ? "" : texts[i], lens[i]);
    }
    run_training(fn, options, progress, user,
                 Outputs{tokenizer_json, tokenizer_json_len, summary_json, summary_len},
                 [&](unsigned threads, const train::Progress& p) {
                   return train::count_words_in_texts(list, threads, p);
                 });
    MWT_API_END
  }

}  // extern "C"
