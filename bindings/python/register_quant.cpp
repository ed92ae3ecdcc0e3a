// Quant area: dequantization (mwt_dequantize_threads, mwt_can_dequantize) and quantization
// (mwt_quantize, mwt_quantize_weighted, mwt_can_quantize). Inputs are pinned buffer views or
// arrays the call owns, so the coding runs without the GIL.
#include <optional>
#include <string>

#include "native.hpp"

namespace mwt_py {
namespace {

mwt_dtype lookup_dtype(const std::string& name) {
  mwt_dtype dt;
  check(mwt_dtype_from_name(name.c_str(), &dt));
  return dt;
}

// A writable C-contiguous float32 numpy array to dequantize into, pinned (no resize, no
// release) while this lives; create and destroy it with the GIL held, use data() without it.
// Every way `out` can be unfit is reported as the mwt error a caller would look for.
class OutputView {
 public:
  OutputView(const py::object& out, size_t n) {
    if (!py::isinstance<py::array>(out))
      fail(MWT_E_ARGUMENT, "out must be a numpy.ndarray of float32, not " +
                               std::string(py::str(py::type::of(out).attr("__name__"))));
    const auto arr = py::reinterpret_borrow<py::array>(out);
    if (!arr.dtype().equal(py::dtype::of<float>()))
      fail(MWT_E_TYPE_MISMATCH, "out has dtype " + std::string(py::str(arr.dtype())) +
                                    "; it must be float32 (native byte order)");
    if (static_cast<size_t>(arr.size()) != n)
      fail(MWT_E_SIZE_MISMATCH, "out holds " + std::to_string(arr.size()) +
                                    " values; the tensor has " + std::to_string(n));
    if (!(arr.flags() & py::array::c_style))
      fail(MWT_E_ARGUMENT, "out must be C-contiguous");
    if (!arr.writeable()) fail(MWT_E_ARGUMENT, "out is read-only");
    if (PyObject_GetBuffer(out.ptr(), &view_, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) != 0)
      throw py::error_already_set();
  }
  ~OutputView() { PyBuffer_Release(&view_); }
  OutputView(const OutputView&) = delete;
  OutputView& operator=(const OutputView&) = delete;
  float* data() const noexcept { return static_cast<float*>(view_.buf); }

 private:
  Py_buffer view_{};
};

// n values of `dtype_name` from the bytes of `raw` (any C-contiguous buffer) -> float32: a new
// 1-D array, or `out` (OutputView's rules) filled and returned. The library checks that n is
// whole blocks, that raw holds exactly n values and that raw and out do not overlap. threads:
// 0 = the library's default, 1 = this thread only (mwt_dequantize_threads).
py::object dequantize(const py::object& raw, const std::string& dtype_name, size_t n,
                      const py::object& out, int threads) {
  const mwt_dtype dt = lookup_dtype(dtype_name);
  BufferView src(raw);
  py::object result;
  float* dst = nullptr;
  std::optional<OutputView> pinned;
  if (out.is_none()) {
    py::array_t<float> fresh(static_cast<py::ssize_t>(n));
    dst = fresh.mutable_data();
    result = std::move(fresh);
  } else {
    pinned.emplace(out, n);
    dst = pinned->data();
    result = out;
  }
  {
    py::gil_scoped_release nogil;
    check(mwt_dequantize_threads(dt, src.data(), src.size(), dst, n, threads));
  }
  return result;
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
        py::arg("out") = py::none(), py::arg("threads") = 0,
        "n values of packed `dtype` bytes (any C-contiguous buffer) -> a new 1-D float32 array, "
        "or `out` (a writable C-contiguous float32 ndarray of n values) filled and returned; "
        "`threads`: 0 = default, 1 = this thread only.");
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
