// mwt_tokenizer.hpp — the RAII wrapper of mwt_tokenizer.h, included by mwt.hpp (include that):
// mwt::Tokenizer owns an mwt_tokenizer, failed calls throw mwt::Error. Stability tier and
// thread safety are mwt_tokenizer.h's: [experimental]; a Tokenizer may be used by any number of
// threads at once.
#ifndef MWT_TOKENIZER_HPP
#define MWT_TOKENIZER_HPP
#ifndef MWT_HPP
#error "include mwt/mwt.hpp, which includes mwt_tokenizer.hpp"
#endif

namespace mwt {

namespace wrap {
// The (pointer, length) arrays the batch calls take, over texts the caller keeps alive.
struct TextArrays {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  explicit TextArrays(const std::vector<std::string_view>& texts) {
    ptrs.reserve(texts.size());
    lens.reserve(texts.size());
    for (const auto& t : texts) {
      ptrs.push_back(t.data());
      lens.push_back(t.size());
    }
  }
};
}  // namespace wrap

// The ids of a batch: text i's ids are ids[offsets[i] .. offsets[i + 1]).
struct EncodedBatch {
  std::vector<int32_t> ids;
  std::vector<uint64_t> offsets;  // count + 1 values
};

class Tokenizer : public wrap::Handle<mwt_tokenizer, mwt_tokenizer_free> {
 public:
  // A directory, tokenizer.json, .model or weight file (see mwt_tokenizer_open).
  explicit Tokenizer(const std::string& path, const mwt_options* options = nullptr) {
    wrap::check(mwt_tokenizer_open(path.c_str(), options, &h_));
  }
  // The tokenizer of an open weight file; it does not reference the file afterwards.
  explicit Tokenizer(const File& file) {
    wrap::check(mwt_tokenizer_from_file(file.handle(), nullptr, &h_));
  }
  // From tokenizer.json text (and optionally tokenizer_config.json, special_tokens_map.json).
  static Tokenizer from_json(std::string_view tokenizer_json, std::string_view config_json = {},
                             std::string_view special_tokens_map_json = {}) {
    Tokenizer t;
    wrap::check(mwt_tokenizer_from_json(
        tokenizer_json.data(), tokenizer_json.size(), config_json.data(), config_json.size(),
        special_tokens_map_json.data(), special_tokens_map_json.size(), &t.h_));
    return t;
  }

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens = true) const {
    int32_t* ids = nullptr;
    size_t n = 0;
    wrap::check(
        mwt_tokenizer_encode(h_, text.data(), text.size(), add_special_tokens ? 1 : 0, &ids, &n));
    const std::unique_ptr<void, void (*)(void*)> owned(ids, mwt_tokenizer_buffer_free);
    return std::vector<int32_t>(ids, ids + n);
  }
  // threads 0: the default (MWT_NUM_THREADS or the CPU count).
  EncodedBatch encode_batch(const std::vector<std::string_view>& texts,
                            bool add_special_tokens = true, uint32_t threads = 0) const {
    const wrap::TextArrays arrays(texts);
    int32_t* ids = nullptr;
    uint64_t* offsets = nullptr;
    size_t n = 0;
    wrap::check(mwt_tokenizer_encode_batch(h_, arrays.ptrs.data(), arrays.lens.data(), texts.size(),
                                           add_special_tokens ? 1 : 0, threads, &ids, &offsets,
                                           &n));
    const std::unique_ptr<void, void (*)(void*)> own_ids(ids, mwt_tokenizer_buffer_free);
    const std::unique_ptr<void, void (*)(void*)> own_offsets(offsets, mwt_tokenizer_buffer_free);
    EncodedBatch out;
    out.ids.assign(ids, ids + n);
    out.offsets.assign(offsets, offsets + texts.size() + 1);
    return out;
  }
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false) const {
    char* text = nullptr;
    size_t len = 0;
    wrap::check(
        mwt_tokenizer_decode(h_, ids.data(), ids.size(), skip_special_tokens ? 1 : 0, &text, &len));
    const std::unique_ptr<char, void (*)(char*)> owned(text, mwt_string_free);
    return std::string(text, len);
  }
  std::optional<int32_t> token_to_id(std::string_view token) const {
    int32_t id = -1;
    wrap::check(mwt_tokenizer_token_to_id(h_, token.data(), token.size(), &id));
    return id < 0 ? std::nullopt : std::optional<int32_t>(id);
  }
  // A view into the tokenizer, valid while it lives; nullopt for an unknown id.
  std::optional<std::string_view> id_to_token(int32_t id) const {
    const char* s = nullptr;
    size_t len = 0;
    wrap::check(mwt_tokenizer_id_to_token(h_, id, &s, &len));
    if (s == nullptr) return std::nullopt;
    return wrap::view(s, len);
  }
  size_t vocab_size() const noexcept { return mwt_tokenizer_vocab_size(h_); }
  // The JSON object of mwt_tokenizer_info.
  std::string info() const {
    char* json = nullptr;
    size_t len = 0;
    wrap::check(mwt_tokenizer_info(h_, &json, &len));
    const std::unique_ptr<char, void (*)(char*)> owned(json, mwt_string_free);
    return std::string(json, len);
  }
  const mwt_tokenizer* handle() const noexcept { return h_; }

 private:
  Tokenizer() = default;
};

// ---- tokenizer training [experimental] (mwt_tokenizer_train.h)
// The MWT_TRAIN_KEYS settings and the special tokens of one training call.
class TrainOptions : public wrap::Handle<mwt_train_options, mwt_train_options_free> {
 public:
  TrainOptions() { wrap::check(mwt_train_options_create(&h_)); }
  TrainOptions& set(const char* key, int64_t value) {
    wrap::check(mwt_train_options_set_int(h_, key, value));
    return *this;
  }
  int64_t get(const char* key) const {
    int64_t v = 0;
    wrap::check(mwt_train_options_get_int(h_, key, &v));
    return v;
  }
  TrainOptions& add_special_token(std::string_view token) {
    wrap::check(mwt_train_options_add_special_token(h_, token.data(), token.size()));
    return *this;
  }
  size_t special_token_count() const noexcept { return mwt_train_options_special_token_count(h_); }
  const mwt_train_options* handle() const noexcept { return h_; }
};

// tokenizer.json and the summary object of a training call; cancelled (by the progress
// callback) leaves both empty.
struct TrainResult {
  std::string tokenizer_json;
  std::string summary_json;
  bool cancelled = false;
};

namespace wrap {
inline TrainResult take_training(mwt_status* status, char* json, size_t len, char* summary,
                                 size_t summary_len) {
  const std::unique_ptr<char, void (*)(char*)> a(json, mwt_string_free);
  const std::unique_ptr<char, void (*)(char*)> b(summary, mwt_string_free);
  check(status);
  TrainResult r;
  r.cancelled = json == nullptr;
  if (json != nullptr) r.tokenizer_json.assign(json, len);
  if (summary != nullptr) r.summary_json.assign(summary, summary_len);
  return r;
}
}  // namespace wrap

// Trains on files (each line one sequence). options may be nullptr (defaults); progress (may be
// nullptr) must not throw: it is called from inside libmwt.
inline TrainResult train_tokenizer_files(const std::vector<std::string>& paths,
                                         const TrainOptions* options = nullptr,
                                         mwt_train_progress_fn progress = nullptr,
                                         void* user = nullptr) {
  std::vector<const char*> ptrs;
  ptrs.reserve(paths.size());
  for (const auto& p : paths) ptrs.push_back(p.c_str());
  char* json = nullptr;
  char* summary = nullptr;
  size_t len = 0, summary_len = 0;
  mwt_status* st =
      mwt_tokenizer_train_files(ptrs.data(), ptrs.size(), options ? options->handle() : nullptr,
                                progress, user, &json, &len, &summary, &summary_len);
  return wrap::take_training(st, json, len, summary, summary_len);
}
// Trains on texts in memory (each text one sequence).
inline TrainResult train_tokenizer_texts(const std::vector<std::string_view>& texts,
                                         const TrainOptions* options = nullptr,
                                         mwt_train_progress_fn progress = nullptr,
                                         void* user = nullptr) {
  const wrap::TextArrays arrays(texts);
  char* json = nullptr;
  char* summary = nullptr;
  size_t len = 0, summary_len = 0;
  mwt_status* st = mwt_tokenizer_train_texts(arrays.ptrs.data(), arrays.lens.data(), texts.size(),
                                             options ? options->handle() : nullptr, progress, user,
                                             &json, &len, &summary, &summary_len);
  return wrap::take_training(st, json, len, summary, summary_len);
}

}  // namespace mwt

#endif  // MWT_TOKENIZER_HPP
