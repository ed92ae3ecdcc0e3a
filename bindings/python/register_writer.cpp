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
    if (format == "gguf") f = MWT_FORMAT_GGUF;
    else if (format == "safetensors") f = MWT_FORMAT_SAFETENSORS;
    else fail(MWT_E_ARGUMENT, "writer format must be 'gguf' or 'safetensors', not '" + format + "'");
    check(mwt_writer_create(f, &w_));
  }
  ~Writer() { mwt_writer_free(w_); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void set_alignment(uint32_t alignment) { check(mwt_writer_set_alignment(w_, alignment)); }

  // One scalar: `value` holds exactly the type's little-endian bytes (BOOL: one byte 0/1).
  void add_scalar(const std::string& key, int type, const py::bytes& value) {
    const std::string v = value;
    const uint32_t want = scalar_size(type);
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
    const uint32_t size = scalar_size(elem_type);
    if (size == 0 || buf.size() % size != 0)
      fail(MWT_E_ARGUMENT, "array data of " + std::to_string(buf.size()) +
                               " bytes is not a whole number of elements of type " +
                               std::to_string(elem_type));
    check(mwt_writer_add_metadata_array(w_, key.data(), key.size(),
                                        static_cast<mwt_value_type>(elem_type), buf.data(),
                                        buf.size() / size));
  }

  void add_string_array(const std::string& key, const std::vector<std::string>& items) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    ptrs.reserve(items.size());
    lens.reserve(items.size());
    for (const auto& s : items) {
      ptrs.push_back(s.data());
      lens.push_back(s.size());
    }
    check(mwt_writer_add_metadata_string_array(w_, key.data(), key.size(), ptrs.data(),
                                               lens.data(), items.size()));
  }

  void add_tensor(const std::string& name, const std::string& dtype_name,
                  const std::vector<uint64_t>& shape, const py::object& data) {
    mwt_dtype dt;
    check(mwt_dtype_from_name(dtype_name.c_str(), &dt));
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
  static uint32_t scalar_size(int type) {
    switch (type) {
      case MWT_VALUE_U8: case MWT_VALUE_I8: case MWT_VALUE_BOOL: return 1;
      case MWT_VALUE_U16: case MWT_VALUE_I16: return 2;
      case MWT_VALUE_U32: case MWT_VALUE_I32: case MWT_VALUE_F32: return 4;
      case MWT_VALUE_U64: case MWT_VALUE_I64: case MWT_VALUE_F64: return 8;
      default: return 0;
    }
  }

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
