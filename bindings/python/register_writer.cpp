// Writer area: mwt_writer. Tensor bytes are borrowed by the C writer, so the Writer keeps a
// buffer view of every tensor's data (pinning its memory) until the Writer itself is freed.
#include <memory>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "native.hpp"

namespace mwt_py {
namespace {

class Writer {
 public:
  explicit Writer(const std::string& format) {
    mwt_format f;
    if (format == "gguf")
      f = MWT_FORMAT_GGUF;
    else if (format == "safetensors")
      f = MWT_FORMAT_SAFETENSORS;
    else
      fail(MWT_E_ARGUMENT, "writer format must be 'gguf' or 'safetensors', not '" + format + "'");
    check(mwt_writer_create(f, &w_));
  }
  ~Writer() { mwt_writer_free(w_); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void set_alignment(uint32_t alignment) { check(mwt_writer_set_alignment(w_, alignment)); }

  // One scalar: `value` holds exactly the type's little-endian bytes (BOOL: one byte 0/1).
  void add_scalar(const std::string& key, int type, const py::bytes& value) {
    const std::string v = value;
    const uint32_t want = mwt_value_type_size(static_cast<mwt_value_type>(type));
    if (want == 0 || v.size() != want)
      fail(MWT_E_ARGUMENT, "metadata value for type " + std::to_string(type) + " must be " +
                               std::to_string(want) + " bytes, got " + std::to_string(v.size()));
    check(mwt_writer_add_metadata(w_, key.data(), key.size(), static_cast<mwt_value_type>(type),
                                  v.data()));
  }

  void add_string(const std::string& key, const std::string& value) {
    check(mwt_writer_add_metadata_string(w_, key.data(), key.size(), value.data(), value.size()));
  }

  // A numeric array from packed little-endian elements (any buffer; copied by the C writer).
  void add_array(const std::string& key, int elem_type, const py::object& data) {
    BufferView buf(data);
    const uint32_t size = mwt_value_type_size(static_cast<mwt_value_type>(elem_type));
    if (size == 0 || buf.size() % size != 0)
      fail(MWT_E_ARGUMENT, "array data of " + std::to_string(buf.size()) +
                               " bytes is not a whole number of elements of type " +
                               std::to_string(elem_type));
    check(mwt_writer_add_metadata_array(w_, key.data(), key.size(),
                                        static_cast<mwt_value_type>(elem_type), buf.data(),
                                        buf.size() / size));
  }

  // Items are bytes objects, read in place (the list holds them for the call; the C writer
  // copies them), so a 150k-entry vocabulary is not copied twice on the way in.
  void add_string_array(const std::string& key, const py::list& items) {
    const size_t n = items.size();
    std::vector<const char*> ptrs(n);
    std::vector<size_t> lens(n);
    for (size_t i = 0; i < n; ++i) {
      char* s = nullptr;
      Py_ssize_t len = 0;
      if (PyBytes_AsStringAndSize(PyList_GET_ITEM(items.ptr(), static_cast<Py_ssize_t>(i)), &s,
                                  &len) != 0)
        throw py::error_already_set();
      ptrs[i] = s;
      lens[i] = static_cast<size_t>(len);
    }
    check(mwt_writer_add_metadata_string_array(w_, key.data(), key.size(), ptrs.data(), lens.data(),
                                               n));
  }

  void add_tensor(const std::string& name, const std::string& dtype_name,
                  const std::vector<uint64_t>& shape, const py::object& data) {
    const mwt_dtype dt = dtype_from_name(dtype_name);
    auto buf = std::make_unique<BufferView>(data);
    check(mwt_writer_add_tensor(w_, name.data(), name.size(), dt, shape.size(), shape.data(),
                                buf->data(), buf->size()));
    held_.push_back(std::move(buf));
  }

  void write(const std::string& path) {
    py::gil_scoped_release nogil;  // the held buffer views keep every borrowed byte in place
    check(mwt_writer_write(w_, path.c_str()));
  }

 private:
  mwt_writer* w_ = nullptr;
  std::vector<std::unique_ptr<BufferView>> held_;
};

}  // namespace

void register_writer(py::module_& m) {
  py::class_<Writer>(m, "Writer", "mwt_writer: collect metadata and tensors, then write once.")
      .def(py::init<const std::string&>(), py::arg("format"))
      .def("set_alignment", &Writer::set_alignment, py::arg("alignment"))
      .def("add_scalar", &Writer::add_scalar, py::arg("key"), py::arg("type"), py::arg("value"))
      .def("add_string", &Writer::add_string, py::arg("key"), py::arg("value"))
      .def("add_array", &Writer::add_array, py::arg("key"), py::arg("elem_type"), py::arg("data"))
      .def("add_string_array", &Writer::add_string_array, py::arg("key"), py::arg("items"))
      .def("add_tensor", &Writer::add_tensor, py::arg("name"), py::arg("dtype"), py::arg("shape"),
           py::arg("data"))
      .def("write", &Writer::write, py::arg("path"));
}

}  // namespace mwt_py
