// Shared pieces of the mwt._native bindings: mwt_status → C++ exception (raised in Python as the
// matching mwt.MwtError subclass), a held buffer view, and the per-area registration hooks.
// The bindings use only the public C ABI (mwt.h).
#pragma once
#include <cstdint>
#include <exception>
#include <string>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "mwt/mwt.h"

namespace mwt_py {
namespace py = pybind11;

// A failed call. It is a plain C++ exception (no Python objects) so it can be thrown while the
// GIL is released; the translator in register_status.cpp turns it into mwt.<Code>Error.
class StatusError : public std::exception {
 public:
  StatusError(int code, std::string message, uint64_t offset, std::string field)
      : code_(code), message_(std::move(message)), offset_(offset), field_(std::move(field)) {}
  const char* what() const noexcept override { return message_.c_str(); }
  int code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  uint64_t offset() const noexcept { return offset_; }  // UINT64_MAX: none
  const std::string& field() const noexcept { return field_; }

 private:
  int code_;
  std::string message_;
  uint64_t offset_;
  std::string field_;
};

// Throws StatusError for a non-NULL status (which it frees). Needs no GIL.
void check(mwt_status* status);
// The dtype of a name (ggml or safetensors spelling); mwt.BadDtypeError if unknown. Every
// binding that takes a dtype name uses this (defined with the dtype table, register_convert.cpp).
mwt_dtype dtype_from_name(const std::string& name);
// Errors found by the bindings themselves, reported with the same classes as the library's.
[[noreturn]] void fail(mwt_code code, const std::string& message);

// A C-contiguous read-only view of any buffer-protocol object (bytes, numpy arrays, ...). The
// exporter's memory stays valid and un-resizable while this lives; create and destroy it with
// the GIL held, use data()/size() without it.
class BufferView {
 public:
  explicit BufferView(py::handle obj) {
    if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_C_CONTIGUOUS) != 0)
      throw py::error_already_set();
  }
  ~BufferView() { PyBuffer_Release(&view_); }
  BufferView(const BufferView&) = delete;
  BufferView& operator=(const BufferView&) = delete;
  const void* data() const noexcept { return view_.buf; }
  size_t size() const noexcept { return static_cast<size_t>(view_.len); }

 private:
  Py_buffer view_{};
};

// An open mwt_file owned by the Python object _native.File (register_file.cpp); tensor views and
// metadata arrays take that object as their numpy base, so the map outlives them all.
class File {
 public:
  explicit File(mwt_file* f) : f_(f) {}
  ~File() { mwt_file_free(f_); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  const mwt_file* get() const noexcept { return f_; }

 private:
  mwt_file* f_;
};

inline void make_readonly(py::array& a) { a.attr("flags").attr("writeable") = false; }

// n bytes at s, a pointer the file handle gave out (keys and strings point into the map), copied
// into buf through mwt_file_copy_bytes: guarded, so a file truncated by another process raises
// mwt.IoError "changed while mapped" instead of killing the interpreter with SIGBUS.
inline const std::string& copy_mapped(const mwt_file* f, const char* s, size_t n,
                                      std::string& buf) {
  buf.resize(n);
  check(mwt_file_copy_bytes(f, s, n, buf.data()));
  return buf;
}

// Decode UTF-8 from a file; invalid UTF-8 becomes bytes (metadata values keep their exact bytes).
py::object str_or_bytes(const char* s, size_t n);
// Decode a name/key; invalid UTF-8 bytes become lone surrogates (surrogateescape), so the name is
// always a str and encodes back to the original bytes.
py::str name_str(const char* s, size_t n);

// A new instance of `cls` (a subclass of _native.TensorBase) for tensor i of f, owned by the
// Python WeightFile `file`, with `name` (tensor i's name as str) reused: a new reference.
PyObject* make_tensor(PyTypeObject* cls, PyObject* file, const mwt_file* f, size_t i,
                      PyObject* name);

void register_status(py::module_& m);
void register_tensor(py::module_& m);
void register_file(py::module_& m);
void register_metadata(py::module_& m);
void register_writer(py::module_& m);
void register_convert(py::module_& m);
void register_quant(py::module_& m);
void register_analysis(py::module_& m);
void register_stats(py::module_& m);
void register_tokenizer(py::module_& m);
void register_tokenizer_train(py::module_& m);

}  // namespace mwt_py
