// Convert area: the dtype table and the float conversions (mwt_convert_to_f32 / _from_f32).
// Inputs are pinned buffer views so the conversions run without the GIL.
#include <string>

#include "native.hpp"

namespace mwt_py {

mwt_dtype dtype_from_name(const std::string& name) {
  mwt_dtype dt;
  check(mwt_dtype_from_name(name.c_str(), &dt));
  return dt;
}

namespace {

// Number of elements `nbytes` of packed `dt` data hold (whole blocks only).
size_t elements_in(mwt_dtype dt, size_t nbytes, const std::string& name) {
  const uint32_t block = mwt_dtype_block_size(dt), size = mwt_dtype_type_size(dt);
  if (nbytes % size != 0)
    fail(MWT_E_SIZE_MISMATCH, std::to_string(nbytes) + " bytes is not a whole number of " + name +
                                  " blocks of " + std::to_string(size) + " bytes");
  return nbytes / size * block;
}

py::array_t<float> to_f32(const py::object& raw, const std::string& dtype_name) {
  const mwt_dtype dt = dtype_from_name(dtype_name);
  BufferView src(raw);
  const size_t n = elements_in(dt, src.size(), dtype_name);
  py::array_t<float> out(static_cast<py::ssize_t>(n));
  float* dst = out.mutable_data();
  {
    py::gil_scoped_release nogil;
    check(mwt_convert_to_f32(dt, src.data(), n, dst));
  }
  return out;
}

// Returns the packed bytes as a 1-D uint8 array; Python views it with the element type.
py::array_t<uint8_t> from_f32(
    const py::array_t<float, py::array::c_style | py::array::forcecast>& x,
    const std::string& dtype_name) {
  const mwt_dtype dt = dtype_from_name(dtype_name);
  const size_t n = static_cast<size_t>(x.size());
  const uint32_t block = mwt_dtype_block_size(dt), size = mwt_dtype_type_size(dt);
  if (n % block != 0)
    fail(MWT_E_BAD_SHAPE, std::to_string(n) + " values is not a whole number of " + dtype_name +
                              " blocks of " + std::to_string(block));
  py::array_t<uint8_t> out(static_cast<py::ssize_t>(n / block * size));
  const float* src = x.data();
  uint8_t* dst = out.mutable_data();
  {
    py::gil_scoped_release nogil;  // x is held by this call's argument for the duration
    check(mwt_convert_from_f32(dt, src, n, dst));
  }
  return out;
}

}  // namespace

void register_convert(py::module_& m) {
  m.def(
      "dtype_table",
      [] {
        // Ids are pinned and < 1000 (mwt.h); scan them all so new dtypes appear without a rebuild
        // of the Python side.
        py::list out;
        for (int id = 0; id < 1000; ++id) {
          const auto dt = static_cast<mwt_dtype>(id);
          const char* name = mwt_dtype_name(dt);
          if (!name || mwt_dtype_block_size(dt) == 0) continue;
          out.append(py::make_tuple(id, name, mwt_dtype_block_size(dt), mwt_dtype_type_size(dt)));
        }
        return out;
      },
      "[(id, name, block_size, type_size)] for every valid dtype id.");
  m.def(
      "dtype_from_name",
      [](const std::string& name) { return static_cast<int>(dtype_from_name(name)); },
      py::arg("name"));
  m.def("convert_to_f32", &to_f32, py::arg("raw"), py::arg("dtype"),
        "Packed `dtype` bytes (any C-contiguous buffer) -> 1-D float32 array.");
  m.def("convert_from_f32", &from_f32, py::arg("x"), py::arg("dtype"),
        "float32 values -> packed `dtype` bytes as a 1-D uint8 array.");
}

}  // namespace mwt_py
