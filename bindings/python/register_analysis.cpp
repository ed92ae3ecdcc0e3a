// Analysis area: the architecture report (mwt_file_architecture) and the tensor-name map
// (mwt_name_map, mwt_name_families). The C calls run without the GIL.
#include <optional>
#include <string>

#include <pybind11/stl.h>

#include "native.hpp"

namespace mwt_py {
namespace {

py::str take_string(char* s, size_t len) {
  std::string text(s, len);
  mwt_string_free(s);
  return py::str(text);
}

}  // namespace

void register_analysis(py::module_& m) {
  m.def(
      "file_architecture",
      [](const File& f, bool config) {
        char* json = nullptr;
        size_t len = 0;
        {
          py::gil_scoped_release nogil;
          mwt_options* opts = nullptr;
          check(mwt_options_create(&opts));
          mwt_status* st = mwt_options_set_int(opts, MWT_OPT_ANALYSIS_CONFIG_JSON, config ? 1 : 0);
          if (st == nullptr) st = mwt_file_architecture(f.get(), opts, &json, &len);
          mwt_options_free(opts);
          check(st);
        }
        return take_string(json, len);
      },
      py::arg("file"), py::arg("config") = true);
  m.def(
      "name_map",
      [](const std::string& name, const std::string& family,
         const std::string& to) -> std::optional<std::string> {
        char* out = nullptr;
        size_t len = 0;
        {
          py::gil_scoped_release nogil;
          check(mwt_name_map(name.c_str(), family.c_str(), to.c_str(), &out, &len));
        }
        if (out == nullptr) return std::nullopt;
        std::string text(out, len);
        mwt_string_free(out);
        return text;
      },
      py::arg("name"), py::arg("family"), py::arg("to"));
  m.def("name_families", [] {
    char* json = nullptr;
    size_t len = 0;
    {
      py::gil_scoped_release nogil;
      check(mwt_name_families(&json, &len));
    }
    return take_string(json, len);
  });
}

}  // namespace mwt_py
