// Quant area: dequantization (mwt_dequantize, mwt_can_dequantize). The input is a pinned buffer
// view, so the decoding runs without the GIL.
#include <string>

#include "native.hpp"

namespace mwt_py {
namespace {

mwt_dtype lookup_dtype(const std::string& name) {
  mwt_dtype dt;
  check(mwt_dtype_from_name(name.c_str(), &dt));
  return dt;
}

// n values of `dtype_name` from the bytes of `raw` (any C-contiguous buffer) -> 1-D float32.
// The library checks that n is whole blocks and that raw holds exactly n values.
py::array_t<float> dequantize(const py::object& raw, const std::string& dtype_name, size_t n) {
  const mwt_dtype dt = lookup_dtype(dtype_name);
  BufferView src(raw);
  py::array_t<float> out(static_cast<py::ssize_t>(n));
  float* dst = out.mutable_data();
  {
    py::gil_scoped_release nogil;
    check(mwt_dequantize(dt, src.data(), src.size(), dst, n));
  }
  return out;
}

}  // namespace

void register_quant(py::module_& m) {
  m.def("dequantize", &dequantize, py::arg("raw"), py::arg("dtype"), py::arg("n"),
        "n values of packed `dtype` bytes (any C-contiguous buffer) -> 1-D float32 array.");
  m.def(
      "can_dequantize",
      [](const std::string& name) { return mwt_can_dequantize(lookup_dtype(name)) != 0; },
      py::arg("dtype"), "Whether `dtype` (a name) has a dequantizer.");
}

}  // namespace mwt_py
