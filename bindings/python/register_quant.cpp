// Quant area: dequantization (mwt_dequantize, mwt_can_dequantize) and quantization
// (mwt_quantize, mwt_quantize_weighted, mwt_can_quantize). Inputs are pinned buffer views or
// arrays the call owns, so the coding runs without the GIL.
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

// A float32 array (any shape, converted to C order) -> 1-D uint8 array of the packed `dtype`
// bytes. Sizes the output from the dtype table when the length is whole blocks; otherwise the
// library reports BAD_SHAPE (or UNSUPPORTED_FEATURE / BAD_DTYPE first). `importance`: None or
// float32 weights (converted, C order) applied to each row of importance.size values
// (mwt_quantize_weighted; the library checks them).
py::array_t<uint8_t> quantize(
    const py::array_t<float, py::array::c_style | py::array::forcecast>& x,
    const std::string& dtype_name, const py::object& importance) {
  const mwt_dtype dt = lookup_dtype(dtype_name);
  const size_t n = static_cast<size_t>(x.size());
  const uint32_t block = mwt_dtype_block_size(dt), type_size = mwt_dtype_type_size(dt);
  size_t nbytes = 0;
  if (block != 0 && n % block == 0) nbytes = n / block * type_size;
  py::array_t<uint8_t> out(static_cast<py::ssize_t>(nbytes));
  const float* src = x.data();
  uint8_t* dst = out.mutable_data();
  py::array_t<float, py::array::c_style | py::array::forcecast> w;
  const float* weights = nullptr;
  size_t row_len = 0;
  if (!importance.is_none()) {
    w = py::array_t<float, py::array::c_style | py::array::forcecast>(importance);
    row_len = static_cast<size_t>(w.size());
    weights = row_len > 0 ? w.data() : nullptr;
  }
  {
    py::gil_scoped_release nogil;
    if (weights == nullptr)
      check(mwt_quantize(dt, src, n, dst, nbytes));
    else
      check(mwt_quantize_weighted(dt, src, n, dst, nbytes, weights, row_len));
  }
  return out;
}

}  // namespace

void register_quant(py::module_& m) {
  m.def(
      "active_isa", [] { return std::string(mwt_active_isa()); },
      "The instruction set dequantize's kernels use: \"avx2\" or \"scalar\".");
  m.def("dequantize", &dequantize, py::arg("raw"), py::arg("dtype"), py::arg("n"),
        "n values of packed `dtype` bytes (any C-contiguous buffer) -> 1-D float32 array.");
  m.def(
      "can_dequantize",
      [](const std::string& name) { return mwt_can_dequantize(lookup_dtype(name)) != 0; },
      py::arg("dtype"), "Whether `dtype` (a name) has a dequantizer.");
  m.def("quantize", &quantize, py::arg("x"), py::arg("dtype"), py::arg("importance") = py::none(),
        "float32 values (any shape, read in C order) -> 1-D uint8 array of packed `dtype` bytes; "
        "`importance`: None or per-row float32 weights (K-quants only).");
  m.def(
      "can_quantize",
      [](const std::string& name) { return mwt_can_quantize(lookup_dtype(name)) != 0; },
      py::arg("dtype"), "Whether `dtype` (a name) has a quantizer.");
}

}  // namespace mwt_py
