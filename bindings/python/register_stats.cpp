// Stats area: the integrity pass (mwt_file_stats), run without the GIL; the Python progress
// callback takes the GIL back for each call. A callback that raises (KeyboardInterrupt from a
// signal included) cancels the pass, and its exception is raised once the call has returned.
#include <cstdint>
#include <memory>
#include <string>

#include "native.hpp"

namespace mwt_py {
namespace {

struct ProgressState {
  py::object callback;
  std::unique_ptr<py::error_already_set> error;  // created and destroyed with the GIL held
};

// The C callback: called on the thread that called mwt_file_stats, without the GIL.
int call_progress(uint64_t done, uint64_t total, void* user) {
  auto* state = static_cast<ProgressState*>(user);
  py::gil_scoped_acquire gil;
  try {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    state->callback(done, total);
    return 0;
  } catch (py::error_already_set& e) {
    state->error = std::make_unique<py::error_already_set>(std::move(e));
    return 1;
  }
}

py::str file_stats(const File& f, uint32_t threads, const py::object& progress) {
  ProgressState state;
  const bool with_progress = !progress.is_none();
  if (with_progress) state.callback = progress;
  char* json = nullptr;
  size_t len = 0;
  mwt_status* status = nullptr;
  {
    py::gil_scoped_release nogil;  // reads every tensor
    status = mwt_file_stats(f.get(), threads, with_progress ? call_progress : nullptr, &state,
                            &json, &len);
  }
  if (state.error) {
    mwt_string_free(json);
    mwt_status_free(status);
    throw py::error_already_set(*state.error);
  }
  check(status);
  std::string text(json, len);
  mwt_string_free(json);
  return py::str(text);
}

}  // namespace

void register_stats(py::module_& m) {
  m.def("file_stats", &file_stats, py::arg("file"), py::arg("threads") = 0,
        py::arg("progress") = py::none(),
        "The JSON report of mwt_file_stats; progress(done_bytes, total_bytes) or None.");
}

}  // namespace mwt_py
