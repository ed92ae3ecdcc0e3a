// mwt._native: the private extension module. Each area registers its own functions; the public,
// documented API is the pure-Python package `mwt` layered on top.
#include "native.hpp"

PYBIND11_MODULE(_native, m) {
  m.doc() = "Private bindings of libmwt's C ABI; use the public `mwt` package instead.";
  mwt_py::register_status(m);
  mwt_py::register_tensor(m);
  mwt_py::register_file(m);
  mwt_py::register_metadata(m);
  mwt_py::register_writer(m);
  mwt_py::register_convert(m);
  mwt_py::register_quant(m);
  mwt_py::register_analysis(m);
  mwt_py::register_stats(m);
  mwt_py::register_tokenizer(m);
  mwt_py::register_tokenizer_train(m);
}
