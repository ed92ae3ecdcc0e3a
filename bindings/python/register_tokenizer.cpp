// Tokenizer area: _native.Tokenizer over mwt_tokenizer (mwt_tokenizer.h). Opening, encoding and
// decoding run without the GIL; ids come back as int32 numpy arrays. Text passed as str is
// encoded to UTF-8 strictly (a lone surrogate raises UnicodeEncodeError, as in HF tokenizers);
// bytes-like text is passed through as it is.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "native.hpp"

namespace mwt_py {
namespace {

// The Python object _native.Tokenizer: owns one mwt_tokenizer, immutable and thread-safe.
class Tokenizer {
 public:
  explicit Tokenizer(mwt_tokenizer* t) : t_(t) {}
  ~Tokenizer() { mwt_tokenizer_free(t_); }
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;
  const mwt_tokenizer* get() const noexcept { return t_; }

 private:
  mwt_tokenizer* t_;
};

struct Buffer {  // a library-allocated id or offset array
  void* p = nullptr;
  ~Buffer() { mwt_tokenizer_buffer_free(p); }
};

// UTF-8 bytes of a text argument, valid while `keep` lives (str: its cached UTF-8; bytes-like:
// a buffer view).
struct TextArg {
  const char* data = nullptr;
  size_t size = 0;
  py::object keep;
  std::unique_ptr<BufferView> view;
};

void text_arg(const py::handle& obj, TextArg& out) {
  if (PyUnicode_Check(obj.ptr())) {
    Py_ssize_t n = 0;
    const char* s = PyUnicode_AsUTF8AndSize(obj.ptr(), &n);
    if (s == nullptr) throw py::error_already_set();
    out.data = s;
    out.size = static_cast<size_t>(n);
    out.keep = py::reinterpret_borrow<py::object>(obj);
    return;
  }
  out.view = std::make_unique<BufferView>(obj);  // TypeError for anything else
  out.data = static_cast<const char*>(out.view->data());
  out.size = out.view->size();
}

// A filesystem path argument (str, bytes or os.PathLike) as bytes for the C call.
std::string path_arg(const py::object& path) {
  PyObject* fs = nullptr;
  if (!PyUnicode_FSConverter(path.ptr(), &fs)) throw py::error_already_set();
  const auto owned = py::reinterpret_steal<py::bytes>(fs);
  return std::string(owned);
}

std::unique_ptr<Tokenizer> open_path(const py::object& path) {
  const std::string p = path_arg(path);
  mwt_tokenizer* t = nullptr;
  {
    py::gil_scoped_release nogil;
    check(mwt_tokenizer_open(p.c_str(), nullptr, &t));
  }
  return std::make_unique<Tokenizer>(t);
}

std::unique_ptr<Tokenizer> from_weight_file(const File& f) {
  mwt_tokenizer* t = nullptr;
  {
    py::gil_scoped_release nogil;
    check(mwt_tokenizer_from_file(f.get(), nullptr, &t));
  }
  return std::make_unique<Tokenizer>(t);
}

std::unique_ptr<Tokenizer> from_json(const std::string& json, const std::string& config,
                                     const std::string& special) {
  mwt_tokenizer* t = nullptr;
  {
    py::gil_scoped_release nogil;
    check(mwt_tokenizer_from_json(json.data(), json.size(), config.data(), config.size(),
                                  special.data(), special.size(), &t));
  }
  return std::make_unique<Tokenizer>(t);
}

py::array_t<int32_t> ids_array(const int32_t* ids, size_t n) {
  py::array_t<int32_t> out(static_cast<py::ssize_t>(n));
  if (n != 0) std::memcpy(out.mutable_data(), ids, n * sizeof(int32_t));
  return out;
}

py::array_t<int32_t> encode(const Tokenizer& tok, const py::object& text, bool add_special) {
  TextArg arg;
  text_arg(text, arg);
  Buffer ids;
  size_t n = 0;
  {
    py::gil_scoped_release nogil;
    int32_t* p = nullptr;
    check(mwt_tokenizer_encode(tok.get(), arg.data, arg.size, add_special ? 1 : 0, &p, &n));
    ids.p = p;
  }
  return ids_array(static_cast<const int32_t*>(ids.p), n);
}

py::list encode_batch(const Tokenizer& tok, const py::sequence& texts, bool add_special,
                      uint32_t threads) {
  // Every item is held (and its UTF-8 fixed) before the GIL goes: the list may change meanwhile.
  if (PyUnicode_Check(texts.ptr()) || PyBytes_Check(texts.ptr()))
    throw py::type_error("texts must be a sequence of texts, not one text");
  const size_t count = py::len(texts);
  std::vector<TextArg> args(count);
  for (size_t i = 0; i < count; ++i) {
    py::object item = texts[i];
    text_arg(item, args[i]);
    args[i].keep = item;
  }
  std::vector<const char*> ptrs(count);
  std::vector<size_t> lens(count);
  for (size_t i = 0; i < count; ++i) {
    ptrs[i] = args[i].data;
    lens[i] = args[i].size;
  }
  Buffer ids, offsets;
  size_t n = 0;
  {
    py::gil_scoped_release nogil;
    int32_t* p = nullptr;
    uint64_t* o = nullptr;
    check(mwt_tokenizer_encode_batch(tok.get(), ptrs.data(), lens.data(), count,
                                     add_special ? 1 : 0, threads, &p, &o, &n));
    ids.p = p;
    offsets.p = o;
  }
  const auto* all = static_cast<const int32_t*>(ids.p);
  const auto* offs = static_cast<const uint64_t*>(offsets.p);
  py::list out(count);
  for (size_t i = 0; i < count; ++i)
    out[i] = ids_array(all + offs[i], static_cast<size_t>(offs[i + 1] - offs[i]));
  return out;
}

// Ids as int32: any integer array or sequence; values outside [0, 2^31) raise OverflowError
// (HF's ids are unsigned 32-bit, and no vocabulary reaches 2^31).
std::vector<int32_t> ids_arg(const py::object& ids) {
  py::array arr = py::array::ensure(ids);
  if (!arr) throw py::error_already_set();
  if (arr.size() == 0) return {};
  const char kind = arr.dtype().kind();
  if (kind != 'i' && kind != 'u')
    throw py::type_error("ids must be integers, not an array of dtype " +
                         std::string(py::str(arr.dtype())));
  auto wide = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(arr);
  if (!wide || wide.ndim() != 1) throw py::value_error("ids must be one-dimensional");
  std::vector<int32_t> out(static_cast<size_t>(wide.size()));
  const int64_t* p = wide.data();
  for (size_t i = 0; i < out.size(); ++i) {
    if (p[i] < 0 || p[i] > INT32_MAX) {
      PyErr_SetString(PyExc_OverflowError,
                      ("id " + std::to_string(p[i]) + " is outside [0, 2**31)").c_str());
      throw py::error_already_set();
    }
    out[i] = static_cast<int32_t>(p[i]);
  }
  // uint64 values above INT64_MAX wrapped negative in the cast above and were refused there.
  return out;
}

py::str decode(const Tokenizer& tok, const py::object& ids, bool skip_special) {
  const std::vector<int32_t> v = ids_arg(ids);
  char* text = nullptr;
  size_t len = 0;
  {
    py::gil_scoped_release nogil;
    check(mwt_tokenizer_decode(tok.get(), v.data(), v.size(), skip_special ? 1 : 0, &text, &len));
  }
  const std::unique_ptr<char, void (*)(char*)> owned(text, mwt_string_free);
  PyObject* s = PyUnicode_DecodeUTF8(text, static_cast<Py_ssize_t>(len), "replace");
  if (s == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(s);
}

py::object token_to_id(const Tokenizer& tok, const py::str& token) {
  // surrogateescape: a token id_to_token gave back (possibly not UTF-8) finds its id again.
  PyObject* b = PyUnicode_AsEncodedString(token.ptr(), "utf-8", "surrogateescape");
  if (b == nullptr) throw py::error_already_set();
  const auto bytes = py::reinterpret_steal<py::bytes>(b);
  const std::string s(bytes);
  int32_t id = -1;
  check(mwt_tokenizer_token_to_id(tok.get(), s.data(), s.size(), &id));
  return id < 0 ? py::object(py::none()) : py::object(py::int_(id));
}

py::object id_to_token(const Tokenizer& tok, int64_t id) {
  if (id < 0 || id > INT32_MAX) return py::none();
  const char* s = nullptr;
  size_t len = 0;
  check(mwt_tokenizer_id_to_token(tok.get(), static_cast<int32_t>(id), &s, &len));
  if (s == nullptr) return py::none();
  return name_str(s, len);
}

py::str info_json(const Tokenizer& tok) {
  char* json = nullptr;
  size_t len = 0;
  check(mwt_tokenizer_info(tok.get(), &json, &len));
  const std::unique_ptr<char, void (*)(char*)> owned(json, mwt_string_free);
  return py::str(json, len);
}

}  // namespace

void register_tokenizer(py::module_& m) {
  py::class_<Tokenizer>(m, "Tokenizer",
                        "An mwt_tokenizer: immutable, usable from any number of threads.")
      .def_static("open", &open_path, py::arg("path"),
                  "A tokenizer from a directory, tokenizer.json, .model or weight file.")
      .def_static("from_weight_file", &from_weight_file, py::arg("f"),
                  "The tokenizer of an open _native.File (GGUF keys or the files beside it).")
      .def_static("from_json", &from_json, py::arg("tokenizer_json"), py::arg("config_json") = "",
                  py::arg("special_tokens_map_json") = "")
      .def("encode", &encode, py::arg("text"), py::arg("add_special_tokens") = true,
           "Ids of a str (UTF-8) or bytes-like text, as an int32 array.")
      .def("encode_batch", &encode_batch, py::arg("texts"), py::arg("add_special_tokens") = true,
           py::arg("threads") = 0, "One int32 array per text; threads 0 = all cores.")
      .def("decode", &decode, py::arg("ids"), py::arg("skip_special_tokens") = false)
      .def("token_to_id", &token_to_id, py::arg("token"))
      .def("id_to_token", &id_to_token, py::arg("id"))
      .def_property_readonly("vocab_size",
                             [](const Tokenizer& t) { return mwt_tokenizer_vocab_size(t.get()); })
      .def("info_json", &info_json);
}

}  // namespace mwt_py
