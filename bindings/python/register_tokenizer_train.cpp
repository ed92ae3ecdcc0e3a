// Tokenizer training area: mwt_tokenizer_train_files / _texts (mwt_tokenizer_train.h), run
// without the GIL; the Python progress callback takes the GIL back for each call. A callback
// that raises (KeyboardInterrupt from a signal included) cancels the training, and its exception
// is raised once the call has returned.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/stl.h>

#include "mwt/mwt.h"
#include "native.hpp"

namespace mwt_py {
namespace {

struct TrainProgress {
  py::object callback;
  std::unique_ptr<py::error_already_set> error;  // created and destroyed with the GIL held
};

int call_progress(mwt_train_stage stage, uint64_t done, uint64_t total, void* user) {
  auto* state = static_cast<TrainProgress*>(user);
  py::gil_scoped_acquire gil;
  try {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    state->callback(stage == MWT_TRAIN_STAGE_COUNT ? "count" : "merge", done, total);
    return 0;
  } catch (py::error_already_set& e) {
    state->error = std::make_unique<py::error_already_set>(std::move(e));
    return 1;
  }
}

// An options handle from {key: int} and the special tokens, freed with the handle.
struct Options {
  mwt_train_options* h = nullptr;
  Options(const py::dict& settings, const std::vector<std::string>& specials) {
    check(mwt_train_options_create(&h));
    for (const auto& [k, v] : settings)
      check(mwt_train_options_set_int(h, py::cast<std::string>(k).c_str(), py::cast<int64_t>(v)));
    for (const auto& s : specials)
      check(mwt_train_options_add_special_token(h, s.data(), s.size()));
  }
  ~Options() { mwt_train_options_free(h); }
  Options(const Options&) = delete;
  Options& operator=(const Options&) = delete;
};

using Trained = std::optional<std::pair<py::str, py::str>>;

// Runs `call(progress_fn, user, outputs...)` without the GIL and turns its outputs into
// (tokenizer_json, summary_json), or None when cancelled.
template <typename Call>
Trained train(const py::object& progress, const Call& call) {
  TrainProgress state;
  const bool with_progress = !progress.is_none();
  if (with_progress) state.callback = progress;
  char* json = nullptr;
  char* summary = nullptr;
  size_t len = 0, summary_len = 0;
  mwt_status* status = nullptr;
  {
    py::gil_scoped_release nogil;
    status =
        call(with_progress ? call_progress : nullptr, &state, &json, &len, &summary, &summary_len);
  }
  const std::unique_ptr<char, void (*)(char*)> a(json, mwt_string_free);
  const std::unique_ptr<char, void (*)(char*)> b(summary, mwt_string_free);
  if (state.error) {
    mwt_status_free(status);
    throw py::error_already_set(*state.error);
  }
  check(status);
  if (json == nullptr) return std::nullopt;
  return std::make_pair(py::str(json, len), py::str(summary, summary_len));
}

Trained train_files(const std::vector<std::string>& paths, const py::dict& settings,
                    const std::vector<std::string>& specials, const py::object& progress) {
  const Options o(settings, specials);
  std::vector<const char*> ptrs;
  for (const auto& p : paths) ptrs.push_back(p.c_str());
  return train(progress, [&](mwt_train_progress_fn fn, void* user, char** json, size_t* len,
                             char** summary, size_t* summary_len) {
    return mwt_tokenizer_train_files(ptrs.data(), ptrs.size(), o.h, fn, user, json, len, summary,
                                     summary_len);
  });
}

Trained train_texts(const std::vector<std::string>& texts, const py::dict& settings,
                    const std::vector<std::string>& specials, const py::object& progress) {
  const Options o(settings, specials);
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& t : texts) {
    ptrs.push_back(t.data());
    lens.push_back(t.size());
  }
  return train(progress, [&](mwt_train_progress_fn fn, void* user, char** json, size_t* len,
                             char** summary, size_t* summary_len) {
    return mwt_tokenizer_train_texts(ptrs.data(), lens.data(), ptrs.size(), o.h, fn, user, json,
                                     len, summary, summary_len);
  });
}

py::dict train_option_keys() {
  py::dict out;
#define MWT_PY_TRAIN_KEY_(id, key, def, min, max, doc) \
  out[key] = py::make_tuple(int64_t{def}, int64_t{min}, int64_t{max}, doc);
  MWT_TRAIN_KEYS(MWT_PY_TRAIN_KEY_)
#undef MWT_PY_TRAIN_KEY_
  return out;
}

}  // namespace

void register_tokenizer_train(py::module_& m) {
  m.def("train_tokenizer_files", &train_files, py::arg("paths"), py::arg("settings"),
        py::arg("special_tokens"), py::arg("progress") = py::none(),
        "(tokenizer_json, summary_json) of mwt_tokenizer_train_files, or None when cancelled; "
        "paths are file-system bytes, settings {train.* key: int}, progress(stage, done, "
        "total) or None.");
  m.def("train_tokenizer_texts", &train_texts, py::arg("texts"), py::arg("settings"),
        py::arg("special_tokens"), py::arg("progress") = py::none(),
        "The same over texts in memory, each one sequence (mwt_tokenizer_train_texts).");
  m.def("train_option_keys", &train_option_keys,
        "{key: (default, min, max, meaning)} of MWT_TRAIN_KEYS.");
}

}  // namespace mwt_py
