// File area: mwt_file (open, header facts, tensor table, zero-copy tensor views) and
// format detection. Tensor views are numpy arrays whose base is the File object, so the memory
// map lives until the last view and the last Python reference are gone.
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "native.hpp"

namespace mwt_py {
namespace {

struct OptionsHandle {
  mwt_options* p = nullptr;
  ~OptionsHandle() { mwt_options_free(p); }
};

std::unique_ptr<File> open_file(const std::string& path, const py::dict& options) {
  OptionsHandle opts;
  check(mwt_options_create(&opts.p));
  for (auto item : options) {
    const std::string key = py::cast<std::string>(item.first);
    check(mwt_options_set_int(opts.p, key.c_str(), py::cast<int64_t>(item.second)));
  }
  mwt_file* f = nullptr;
  {
    py::gil_scoped_release nogil;  // parsing and validating a header can take a while
    check(mwt_file_open(path.c_str(), opts.p, &f));
  }
  return std::make_unique<File>(f);
}

// (names in file order, {name: index}): the tensor table's keys, built once per WeightFile.
py::tuple tensor_names(const File& file) {
  const mwt_file* f = file.get();
  const size_t n = mwt_file_tensor_count(f);
  py::list names(n);
  py::dict index;
  for (size_t i = 0; i < n; ++i) {
    const char* name = nullptr;
    size_t name_len = 0;
    check(mwt_file_tensor_name(f, i, &name, &name_len));
    py::str s = name_str(name, name_len);
    index[s] = py::int_(i);
    names[i] = std::move(s);
  }
  return py::make_tuple(std::move(names), std::move(index));
}

PyTypeObject* tensor_class(const py::object& cls) {
  if (!PyType_Check(cls.ptr())) fail(MWT_E_ARGUMENT, "cls must be a type");
  return reinterpret_cast<PyTypeObject*>(cls.ptr());
}

// Every tensor as a `cls` instance owned by `owner` (the WeightFile), in file order; with
// `pairs`, as (name, tensor) tuples. `names` is tensor_names()'s list, or None to decode the
// names here (a listing then needs no name table).
py::list tensor_objects(const File& file, const py::object& cls, const py::object& owner,
                        const py::object& names, bool pairs) {
  const mwt_file* f = file.get();
  const size_t n = mwt_file_tensor_count(f);
  const bool have_names = !names.is_none();
  if (have_names &&
      (!PyList_Check(names.ptr()) || static_cast<size_t>(PyList_GET_SIZE(names.ptr())) != n))
    fail(MWT_E_ARGUMENT, "names does not match the tensor table");
  PyTypeObject* type = tensor_class(cls);
  py::list out(n);
  for (size_t i = 0; i < n; ++i) {
    py::object decoded;
    if (!have_names) {
      const char* s = nullptr;
      size_t len = 0;
      check(mwt_file_tensor_name(f, i, &s, &len));
      decoded = name_str(s, len);
    }
    PyObject* name =
        have_names ? PyList_GET_ITEM(names.ptr(), static_cast<Py_ssize_t>(i)) : decoded.ptr();
    auto t = py::reinterpret_steal<py::object>(make_tensor(type, owner.ptr(), f, i, name));
    if (pairs) {
      py::tuple pair = py::make_tuple(py::reinterpret_borrow<py::object>(name), std::move(t));
      PyObject_GC_UnTrack(pair.ptr());  // (str, Tensor): no GC-tracked content, as above
      out[i] = std::move(pair);
    } else
      out[i] = std::move(t);
  }
  return out;
}

// A read-only array over tensor i's bytes: `dtype` None gives the raw uint8 bytes (1-D), else
// the tensor's shape in that numpy dtype. Zero-copy (base = the File) unless the data are not
// aligned for the dtype (legacy safetensors), which gives an aligned copy.
py::array tensor_view(const py::object& self, size_t i, const py::object& dtype) {
  const mwt_file* f = self.cast<const File&>().get();
  const void* data = nullptr;
  uint64_t nbytes = 0;
  check(mwt_file_tensor_nbytes(f, i, &nbytes));
  check(mwt_file_tensor_data(f, i, &data));
  py::dtype dt = dtype.is_none() ? py::dtype("u1") : py::dtype::from_args(dtype);
  std::vector<py::ssize_t> shape;
  if (dtype.is_none()) {
    shape.push_back(static_cast<py::ssize_t>(nbytes));
  } else {
    size_t ndim = 0;
    const uint64_t* dims = nullptr;
    check(mwt_file_tensor_shape(f, i, &ndim, &dims));
    bool empty = false;  // any zero dimension: zero bytes, whatever the other dimensions
    for (size_t d = 0; d < ndim; ++d) {
      shape.push_back(static_cast<py::ssize_t>(dims[d]));
      empty = empty || dims[d] == 0;
    }
    unsigned __int128 total = empty ? 0 : static_cast<unsigned __int128>(dt.itemsize());
    for (size_t d = 0; d < ndim && !empty; ++d) {
      total *= dims[d];
      if (total > nbytes) break;  // also stops the product from overflowing
    }
    if (total != nbytes)
      fail(MWT_E_SIZE_MISMATCH, "tensor " + std::to_string(i) + " holds " + std::to_string(nbytes) +
                                    " bytes, not its shape in a " + std::to_string(dt.itemsize()) +
                                    "-byte dtype");
  }
  std::vector<py::ssize_t> strides(shape.size());
  py::ssize_t stride = dt.itemsize();
  for (size_t d = shape.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= shape[d];
  }
  const bool aligned =
      reinterpret_cast<uintptr_t>(data) % static_cast<uintptr_t>(dt.alignment()) == 0;
  py::array out;
  if (data && aligned) {
    out = py::array(dt, shape, strides, data, self);
  } else {
    out = py::array(dt, shape, strides);
    if (nbytes) std::memcpy(out.mutable_data(), data, nbytes);
  }
  make_readonly(out);
  return out;
}

py::list string_list(const mwt_file* f, size_t (*count)(const mwt_file*),
                     const char* (*item)(const mwt_file*, size_t), bool fs_path) {
  const size_t n = count(f);
  py::list out(n);
  for (size_t i = 0; i < n; ++i) {
    const char* s = item(f, i);
    const size_t len = s ? std::strlen(s) : 0;
    // Shard paths round-trip through os.fsencode; warnings are messages.
    PyObject* u = fs_path
                      ? PyUnicode_DecodeFSDefaultAndSize(s ? s : "", static_cast<Py_ssize_t>(len))
                      : PyUnicode_DecodeUTF8(s ? s : "", static_cast<Py_ssize_t>(len), "replace");
    if (!u) throw py::error_already_set();
    out[i] = py::reinterpret_steal<py::object>(u);
  }
  return out;
}

}  // namespace

void register_file(py::module_& m) {
  py::class_<File>(m, "File",
                   "An open mwt_file. Freed when the last reference (including "
                   "tensor views, whose base it is) goes away.")
      .def_property_readonly(
          "format",
          [](const File& f) { return std::string(mwt_format_name(mwt_file_format(f.get()))); })
      .def_property_readonly("version", [](const File& f) { return mwt_file_version(f.get()); })
      .def_property_readonly("size", [](const File& f) { return mwt_file_size(f.get()); })
      .def_property_readonly("data_offset",
                             [](const File& f) { return mwt_file_data_offset(f.get()); })
      .def_property_readonly("alignment", [](const File& f) { return mwt_file_alignment(f.get()); })
      .def_property_readonly("shards",
                             [](const File& f) {
                               return string_list(f.get(), mwt_file_shard_count,
                                                  mwt_file_shard_path, true);
                             })
      .def_property_readonly("warnings",
                             [](const File& f) {
                               return string_list(f.get(), mwt_file_warning_count, mwt_file_warning,
                                                  false);
                             })
      .def_property_readonly("tensor_count",
                             [](const File& f) { return mwt_file_tensor_count(f.get()); })
      .def("tensor_names", &tensor_names)
      .def("tensor_objects", &tensor_objects, py::arg("cls"), py::arg("owner"), py::arg("names"),
           py::arg("pairs"))
      .def(
          "tensor_object",
          [](const File& file, const py::object& cls, const py::object& owner, size_t i,
             const py::str& name) {
            if (i >= mwt_file_tensor_count(file.get()))
              fail(MWT_E_ARGUMENT, "tensor index out of range");
            return py::reinterpret_steal<py::object>(
                make_tensor(tensor_class(cls), owner.ptr(), file.get(), i, name.ptr()));
          },
          py::arg("cls"), py::arg("owner"), py::arg("index"), py::arg("name"))
      .def("tensor_view", &tensor_view, py::arg("index"), py::arg("dtype") = py::none())
      .def("quantization_json",
           [](const File& f) {
             char* json = nullptr;
             size_t len = 0;
             {
               py::gil_scoped_release nogil;  // may sample tensor data
               check(mwt_file_quantization(f.get(), &json, &len));
             }
             std::string text(json, len);
             mwt_string_free(json);
             return py::str(text);
           })
      .def(
          "plan_quantization",
          [](const File& f, uint32_t file_type) {
            std::vector<mwt_dtype> types(mwt_file_tensor_count(f.get()));
            check(mwt_file_plan_quantization(f.get(), file_type, types.data(), types.size()));
            py::list out(types.size());
            for (size_t i = 0; i < types.size(); ++i) out[i] = py::str(mwt_dtype_name(types[i]));
            return out;
          },
          py::arg("file_type"));

  m.def(
      "file_type_name",
      [](uint32_t value) -> py::object {
        const char* name = mwt_file_type_name(value);
        return name ? py::object(py::str(name)) : py::object(py::none());
      },
      py::arg("value"));
  m.def(
      "file_type_from_name",
      [](const std::string& name) {
        uint32_t v = 0;
        check(mwt_file_type_from_name(name.c_str(), &v));
        return v;
      },
      py::arg("name"));
  m.def(
      "option_table",
      [] {
        py::list out;
#define MWT_PY_OPTION_ROW_(id, key, kind, default_value, min_value, max_value, meaning)       \
  out.append(py::make_tuple(key, #kind, static_cast<int64_t>(default_value),                  \
                            static_cast<int64_t>(min_value), static_cast<int64_t>(max_value), \
                            meaning));
        MWT_OPTION_KEYS(MWT_PY_OPTION_ROW_)
#undef MWT_PY_OPTION_ROW_
        return out;
      },
      "[(key, kind, default, min, max, meaning)] for every open option: mwt.h's MWT_OPTION_KEYS "
      "(kind 'LIMIT' or 'FLAG').");
  m.def("open", &open_file, py::arg("path"), py::arg("options"),
        "Open and validate a weight file; options maps mwt.h option keys to ints.");
  m.def(
      "detect_format",
      [](const std::string& path) {
        mwt_format fmt = MWT_FORMAT_UNKNOWN;
        {
          py::gil_scoped_release nogil;
          check(mwt_detect_format(path.c_str(), &fmt));
        }
        return std::string(mwt_format_name(fmt));
      },
      py::arg("path"));
}

}  // namespace mwt_py
