// Metadata area: one entry at a time over the native table, so a header with a million keys
// costs nothing in Python until a key is read (python/mwt/_metadata.py builds the Mapping).
// Lookups go through mwt_file_metadata_find; numeric arrays are read-only numpy views over the
// memory map whose base is the File object (the map lives as long as the array); string arrays
// are read element by element (the Python side wraps them in a lazy Sequence). Keys and strings
// are copied out of the map through mwt_file_copy_bytes (guarded: mwt.h, "Mapped files").
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "native.hpp"

namespace mwt_py {
namespace {

const mwt_file* handle(const py::object& file) { return file.cast<const File&>().get(); }

// The numpy dtype of a scalar value type ("<u4", "?", ...), or "" for STRING, ARRAY and invalid
// ids: the numpy kind is this table's, the width is the library's (mwt_value_type_size).
std::string numpy_descr(mwt_value_type t) {
  char kind = 0;
  switch (t) {
    case MWT_VALUE_U8:
    case MWT_VALUE_U16:
    case MWT_VALUE_U32:
    case MWT_VALUE_U64: kind = 'u'; break;
    case MWT_VALUE_I8:
    case MWT_VALUE_I16:
    case MWT_VALUE_I32:
    case MWT_VALUE_I64: kind = 'i'; break;
    case MWT_VALUE_F32:
    case MWT_VALUE_F64: kind = 'f'; break;
    case MWT_VALUE_BOOL: return "?";
    default: return std::string();
  }
  const uint32_t size = mwt_value_type_size(t);
  return size ? "<" + std::string(1, kind) + std::to_string(size) : std::string();
}

size_t checked_index(const mwt_file* f, int64_t i) {
  if (i < 0 || static_cast<uint64_t>(i) >= mwt_file_metadata_count(f))
    fail(MWT_E_ARGUMENT, "metadata index " + std::to_string(i) + " is out of range");
  return static_cast<size_t>(i);
}

py::object scalar_value(const mwt_file* f, size_t i, mwt_value_type t) {
  switch (t) {
#define MWT_PY_SCALAR_(vtype, suffix, ctype, pytype) \
  case vtype: {                                      \
    ctype v;                                         \
    check(mwt_file_metadata_get_##suffix(f, i, &v)); \
    return pytype(v);                                \
  }
    MWT_PY_SCALAR_(MWT_VALUE_U8, u8, uint8_t, py::int_)
    MWT_PY_SCALAR_(MWT_VALUE_I8, i8, int8_t, py::int_)
    MWT_PY_SCALAR_(MWT_VALUE_U16, u16, uint16_t, py::int_)
    MWT_PY_SCALAR_(MWT_VALUE_I16, i16, int16_t, py::int_)
    MWT_PY_SCALAR_(MWT_VALUE_U32, u32, uint32_t, py::int_)
    MWT_PY_SCALAR_(MWT_VALUE_I32, i32, int32_t, py::int_)
    MWT_PY_SCALAR_(MWT_VALUE_U64, u64, uint64_t, py::int_)
    MWT_PY_SCALAR_(MWT_VALUE_I64, i64, int64_t, py::int_)
    MWT_PY_SCALAR_(MWT_VALUE_F32, f32, float, py::float_)
    MWT_PY_SCALAR_(MWT_VALUE_F64, f64, double, py::float_)
#undef MWT_PY_SCALAR_
    case MWT_VALUE_BOOL: {
      int v;
      check(mwt_file_metadata_get_bool(f, i, &v));
      return py::bool_(v != 0);
    }
    case MWT_VALUE_STRING: {
      const char* s = nullptr;
      size_t n = 0;
      check(mwt_file_metadata_get_string(f, i, &s, &n));
      std::string buf;
      copy_mapped(f, s, n, buf);
      return str_or_bytes(buf.data(), buf.size());
    }
    default: break;
  }
  fail(MWT_E_INTERNAL, "metadata entry " + std::to_string(i) + " has unexpected type " +
                           std::to_string(static_cast<int>(t)));
}

// A numeric array as a read-only numpy array: a view of the mapped bytes (base = the File, so
// the map outlives the File's last other reference), possibly unaligned, which numpy handles.
// Only a BOOL array holding bytes other than 0/1 (gguf.strict_bool=0) is copied, as 0/1.
py::array numeric_array(const py::object& file, size_t i, mwt_value_type elem) {
  const mwt_file* f = handle(file);
  const std::string descr = numpy_descr(elem);
  if (descr.empty())
    fail(MWT_E_INTERNAL, "metadata entry " + std::to_string(i) +
                             " is an array of unexpected type " +
                             std::to_string(static_cast<int>(elem)));
  const void* data = nullptr;
  uint64_t count = 0;
  check(mwt_file_metadata_get_array(f, i, elem, &data, &count));
  const py::dtype dt(descr);
  const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(count)};
  const std::vector<py::ssize_t> strides{dt.itemsize()};
  bool exact = true;
  std::string bools;  // BOOL arrays are checked (and, when not 0/1, copied) from a guarded copy
  if (elem == MWT_VALUE_BOOL) {
    copy_mapped(f, static_cast<const char*>(data), static_cast<size_t>(count), bools);
    for (uint64_t j = 0; j < count && exact; ++j) exact = static_cast<uint8_t>(bools[j]) <= 1;
  }
  py::array out;
  if (count == 0 || data == nullptr) {
    out = py::array(dt, shape, strides);
  } else if (exact) {
    out = py::array(dt, shape, strides, data, file);
  } else {
    out = py::array(dt, shape, strides);
    auto* q = static_cast<uint8_t*>(out.mutable_data());
    for (uint64_t j = 0; j < count; ++j) q[j] = bools[j] != 0;
  }
  make_readonly(out);
  return out;
}

std::string type_name(mwt_value_type t) {
  const char* n = mwt_value_type_name(t);
  return n ? n : "INVALID";
}

// Entry i's value: int/float/bool/str (bytes when not UTF-8), a numpy view for numeric arrays,
// and for string arrays `string_array(file, i, count)` (the Python side's lazy Sequence).
py::object metadata_value(const py::object& file, int64_t index, const py::object& string_array) {
  const mwt_file* f = handle(file);
  const size_t i = checked_index(f, index);
  mwt_value_type t;
  check(mwt_file_metadata_type(f, i, &t));
  if (t != MWT_VALUE_ARRAY) return scalar_value(f, i, t);
  mwt_value_type elem;
  uint64_t count = 0;
  check(mwt_file_metadata_array_info(f, i, &elem, &count));
  if (elem == MWT_VALUE_STRING) return string_array(file, i, count);
  return numeric_array(file, i, elem);
}

// Entry i's type name: "UINT32", "STRING", "ARRAY[INT8]", ...
py::str metadata_type(const py::object& file, int64_t index) {
  const mwt_file* f = handle(file);
  const size_t i = checked_index(f, index);
  mwt_value_type t;
  check(mwt_file_metadata_type(f, i, &t));
  if (t != MWT_VALUE_ARRAY) return py::str(type_name(t));
  mwt_value_type elem;
  uint64_t count = 0;
  check(mwt_file_metadata_array_info(f, i, &elem, &count));
  return py::str("ARRAY[" + type_name(elem) + "]");
}

py::str key_at(const mwt_file* f, size_t i) {
  const char* key = nullptr;
  size_t len = 0;
  check(mwt_file_metadata_key(f, i, &key, &len));
  std::string buf;
  copy_mapped(f, key, len, buf);
  return name_str(buf.data(), buf.size());
}

// Keys start..stop-1 (clamped to the table) in file order: iteration fetches them in chunks.
py::list metadata_keys(const py::object& file, int64_t start, int64_t stop) {
  const mwt_file* f = handle(file);
  const auto n = static_cast<int64_t>(mwt_file_metadata_count(f));
  start = std::max<int64_t>(0, std::min(start, n));
  stop = std::max(start, std::min(stop, n));
  py::list out(static_cast<size_t>(stop - start));
  for (int64_t i = start; i < stop; ++i)
    out[static_cast<size_t>(i - start)] = key_at(f, static_cast<size_t>(i));
  return out;
}

// Index of `key` (a str, encoded back to the file's bytes as name_str decoded it), or -1 when
// absent or not a str; mwt.IoError when the file changed while mapped.
int64_t metadata_find(const py::object& file, const py::object& key) {
  const mwt_file* f = handle(file);
  if (!PyUnicode_Check(key.ptr())) return -1;
  PyObject* raw = PyUnicode_AsEncodedString(key.ptr(), "utf-8", "surrogateescape");
  if (!raw) {
    PyErr_Clear();  // a str no file key decodes to (e.g. a lone surrogate in the ASCII range)
    return -1;
  }
  const auto bytes = py::reinterpret_steal<py::bytes>(raw);
  const int64_t i = mwt_file_metadata_find(f, PyBytes_AS_STRING(bytes.ptr()),
                                           static_cast<size_t>(PyBytes_GET_SIZE(bytes.ptr())));
  if (i == -2)
    fail(MWT_E_IO,
         "the file changed while mapped: its metadata can no longer be looked up "
         "(mwt.open(path, mmap=False) reads a file that may change into memory)");
  return i;
}

// Elements range(start, stop, step) of string array i (the caller resolves a slice).
py::list metadata_strings(const py::object& file, int64_t index, int64_t start, int64_t stop,
                          int64_t step) {
  const mwt_file* f = handle(file);
  const size_t i = checked_index(f, index);
  if (step == 0) fail(MWT_E_ARGUMENT, "step must not be zero");
  const int64_t n = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                             : (start > stop ? (start - stop - step - 1) / -step : 0);
  py::list out(static_cast<size_t>(n));
  std::string buf;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t j = start + k * step;
    if (j < 0) fail(MWT_E_ARGUMENT, "element index " + std::to_string(j) + " is out of range");
    const char* s = nullptr;
    size_t len = 0;
    check(mwt_file_metadata_get_array_string(f, i, static_cast<uint64_t>(j), &s, &len));
    copy_mapped(f, s, len, buf);
    out[static_cast<size_t>(k)] = str_or_bytes(buf.data(), buf.size());
  }
  return out;
}

py::object metadata_string(const py::object& file, int64_t index, int64_t j) {
  const mwt_file* f = handle(file);
  const size_t i = checked_index(f, index);
  if (j < 0) fail(MWT_E_ARGUMENT, "element index " + std::to_string(j) + " is out of range");
  const char* s = nullptr;
  size_t len = 0;
  check(mwt_file_metadata_get_array_string(f, i, static_cast<uint64_t>(j), &s, &len));
  std::string buf;
  copy_mapped(f, s, len, buf);
  return str_or_bytes(buf.data(), buf.size());
}

}  // namespace

void register_metadata(py::module_& m) {
  m.def(
      "metadata_count",
      [](const py::object& file) { return mwt_file_metadata_count(handle(file)); }, py::arg("file"),
      "Number of metadata entries.");
  m.def("metadata_find", &metadata_find, py::arg("file"), py::arg("key"),
        "Index of a key (mwt_file_metadata_find), or -1.");
  m.def(
      "metadata_key",
      [](const py::object& file, int64_t i) {
        const mwt_file* f = handle(file);
        return key_at(f, checked_index(f, i));
      },
      py::arg("file"), py::arg("index"), "Key of entry i.");
  m.def("metadata_keys", &metadata_keys, py::arg("file"), py::arg("start"), py::arg("stop"),
        "Keys of entries start..stop-1, clamped to the table.");
  m.def("metadata_type", &metadata_type, py::arg("file"), py::arg("index"),
        "Type name of entry i: 'UINT32', 'ARRAY[INT8]', ...");
  m.def("metadata_value", &metadata_value, py::arg("file"), py::arg("index"),
        py::arg("string_array"),
        "Value of entry i; string arrays become string_array(file, i, count).");
  m.def("metadata_string", &metadata_string, py::arg("file"), py::arg("index"), py::arg("j"),
        "Element j of string array i (str, or bytes when not UTF-8).");
  m.def("metadata_strings", &metadata_strings, py::arg("file"), py::arg("index"), py::arg("start"),
        py::arg("stop"), py::arg("step"), "Elements range(start, stop, step) of string array i.");
  m.def(
      "value_types",
      [] {
        // GGUF's value-type ids are small; scan past the last so a new type shows up by itself.
        py::list out;
        for (int id = 0; id < 64; ++id) {
          const auto t = static_cast<mwt_value_type>(id);
          const char* name = mwt_value_type_name(t);
          if (!name) continue;
          const std::string descr = numpy_descr(t);
          out.append(py::make_tuple(id, name, mwt_value_type_size(t),
                                    descr.empty() ? py::object(py::none()) : py::str(descr)));
        }
        return out;
      },
      "[(id, name, size, numpy dtype or None)] for every metadata value type (GGUF's numbering; "
      "size 0 and no numpy dtype for STRING and ARRAY).");
}

}  // namespace mwt_py
