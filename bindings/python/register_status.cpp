// Status and version area: mwt_status → mwt.MwtError subclasses, the error-code table
// (mwt.h's MWT_ERROR_CODES, which mwt._errors builds its classes from), format names, versions.
#include <string>

#include "native.hpp"

namespace mwt_py {
namespace {

// Library messages escape file strings, but decode leniently anyway: an error must never turn
// into a UnicodeDecodeError on its way out.
py::str lenient_str(const std::string& s) {
  PyObject* u = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (!u) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(u);
}

void raise_status(const StatusError& e) {
  try {
    // The classes live in Python (mwt._errors) so users can subclass-match and pickle them.
    py::object make = py::module_::import("mwt._errors").attr("_from_native");
    py::object offset = e.offset() == UINT64_MAX ? py::object(py::none()) : py::int_(e.offset());
    py::object field = e.field().empty() ? py::object(py::none()) : lenient_str(e.field());
    py::object exc = make(e.code(), lenient_str(e.message()), offset, field);
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  } catch (py::error_already_set&) {
    // Only reachable when _native is imported without its package: keep the message.
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
}

}  // namespace

void check(mwt_status* status) {
  if (!status) return;
  StatusError err(static_cast<int>(mwt_status_code(status)), mwt_status_message(status),
                  mwt_status_offset(status), mwt_status_field(status));
  mwt_status_free(status);
  throw err;
}

void fail(mwt_code code, const std::string& message) {
  throw StatusError(static_cast<int>(code), std::string(mwt_code_name(code)) + ": " + message,
                    UINT64_MAX, std::string());
}

py::object str_or_bytes(const char* s, size_t n) {
  PyObject* u = PyUnicode_DecodeUTF8(s, static_cast<Py_ssize_t>(n), nullptr);
  if (u) return py::reinterpret_steal<py::object>(u);
  PyErr_Clear();
  return py::bytes(s, n);
}

py::str name_str(const char* s, size_t n) {
  PyObject* u = PyUnicode_DecodeUTF8(s, static_cast<Py_ssize_t>(n), "surrogateescape");
  if (!u) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(u);
}

void register_status(py::module_& m) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      raise_status(e);
    }
  });

  m.def(
      "code_name", [](int code) { return std::string(mwt_code_name(static_cast<mwt_code>(code))); },
      py::arg("code"), "mwt_code_name: 'TRUNCATED', ...; 'UNKNOWN' outside the enum.");
  m.def(
      "error_codes",
      [] {
        py::list out;
#define MWT_PY_ERROR_ROW_(name, value, description) \
  out.append(py::make_tuple(#name, static_cast<int>(value), description));
        MWT_ERROR_CODES(MWT_PY_ERROR_ROW_)
#undef MWT_PY_ERROR_ROW_
        return out;
      },
      "[(name, value, description)] for every error code but OK, in value order: mwt.h's "
      "MWT_ERROR_CODES.");
  m.def(
      "format_name", [](int f) { return std::string(mwt_format_name(static_cast<mwt_format>(f))); },
      py::arg("format"));
  m.def("version_string", [] { return std::string(mwt_version_string()); });
  m.def("version_number", [] { return mwt_version_number(); });
  m.def("abi_version", [] { return mwt_abi_version(); });
  // Raises the exception a status with this code would raise (tests, and Python-side checks
  // that must look exactly like library errors).
  m.def(
      "raise_status",
      [](int code, const std::string& message) {
        throw StatusError(code, message, UINT64_MAX, std::string());
      },
      py::arg("code"), py::arg("message"));
}

}  // namespace mwt_py
