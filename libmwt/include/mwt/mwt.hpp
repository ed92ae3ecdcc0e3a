// mwt.hpp — header-only C++17 RAII wrapper over the C ABI in mwt.h: every C function has a
// wrapper here (the ctest abi_exports checks it). Failed calls throw mwt::Error (code, offset,
// field); handles are move-only and free themselves. Stability tiers and thread safety are
// mwt.h's. Depends only on mwt.h, so it works with any C++17 compiler against the shared library.
#ifndef MWT_HPP
#define MWT_HPP

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mwt.h"

namespace mwt {

// A failed mwt call. what() is the full message "<CODE> at offset N in <field>: <detail>".
class Error : public std::runtime_error {
 public:
  Error(mwt_code code, const std::string& message, uint64_t offset, std::string field)
      : std::runtime_error(message), code_(code), offset_(offset), field_(std::move(field)) {}
  mwt_code code() const noexcept { return code_; }
  const char* code_name() const noexcept { return mwt_code_name(code_); }
  // Byte offset in the file, or UINT64_MAX when the error has none.
  uint64_t offset() const noexcept { return offset_; }
  const std::string& field() const noexcept { return field_; }

 private:
  mwt_code code_;
  uint64_t offset_;
  std::string field_;
};

// Every error code of mwt.h (MWT_ERROR_CODES) with its name, as mwt_code_name spells it, and
// its one-line description. MWT_OK is not an error and is not listed.
struct CodeInfo {
  mwt_code code;
  const char* name;
  const char* description;
};
#define MWT_HPP_CODE_INFO_(name, value, description) CodeInfo{MWT_E_##name, #name, description},
inline constexpr CodeInfo kErrorCodes[] = {MWT_ERROR_CODES(MWT_HPP_CODE_INFO_)};
#undef MWT_HPP_CODE_INFO_

// Every open option of mwt.h (MWT_OPTION_KEYS): key, kind, default, accepted range, meaning.
struct OptionInfo {
  const char* key;
  bool is_flag;  // FLAG (0 or 1); otherwise a LIMIT
  int64_t default_value, min, max;
  const char* description;
};
#define MWT_HPP_OPTION_INFO_(id, key, kind, def, min, max, description) \
  OptionInfo{key, std::string_view(#kind) == "FLAG", def, min, max, description},
inline constexpr OptionInfo kOptionKeys[] = {MWT_OPTION_KEYS(MWT_HPP_OPTION_INFO_)};
#undef MWT_HPP_OPTION_INFO_

// Helpers of this header; named apart from libmwt's internal mwt::detail so white-box code can
// include both.
namespace wrap {

// Owns one C handle: move-only, released with Free (which accepts NULL) when it goes.
template <typename T, void (*Free)(T*)>
class Handle {
 public:
  Handle() = default;
  ~Handle() { Free(h_); }
  Handle(Handle&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      Free(h_);
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

 protected:
  T* h_ = nullptr;
};

// Takes ownership of a status: frees it and throws if it reports an error.
inline void check(mwt_status* status) {
  if (status == nullptr) return;
  const mwt_code code = mwt_status_code(status);
  std::string message, field;
  try {
    message = mwt_status_message(status);
    field = mwt_status_field(status);
  } catch (...) {
    mwt_status_free(status);
    throw;
  }
  const uint64_t offset = mwt_status_offset(status);
  mwt_status_free(status);
  throw Error(code, message, offset, std::move(field));
}

template <typename T>
struct ValueTypeOf;  // the metadata value type a C++ scalar maps to
template <>
struct ValueTypeOf<uint8_t> {
  static constexpr mwt_value_type value = MWT_VALUE_U8;
};
template <>
struct ValueTypeOf<int8_t> {
  static constexpr mwt_value_type value = MWT_VALUE_I8;
};
template <>
struct ValueTypeOf<uint16_t> {
  static constexpr mwt_value_type value = MWT_VALUE_U16;
};
template <>
struct ValueTypeOf<int16_t> {
  static constexpr mwt_value_type value = MWT_VALUE_I16;
};
template <>
struct ValueTypeOf<uint32_t> {
  static constexpr mwt_value_type value = MWT_VALUE_U32;
};
template <>
struct ValueTypeOf<int32_t> {
  static constexpr mwt_value_type value = MWT_VALUE_I32;
};
template <>
struct ValueTypeOf<uint64_t> {
  static constexpr mwt_value_type value = MWT_VALUE_U64;
};
template <>
struct ValueTypeOf<int64_t> {
  static constexpr mwt_value_type value = MWT_VALUE_I64;
};
template <>
struct ValueTypeOf<float> {
  static constexpr mwt_value_type value = MWT_VALUE_F32;
};
template <>
struct ValueTypeOf<double> {
  static constexpr mwt_value_type value = MWT_VALUE_F64;
};

inline std::string_view view(const char* p, size_t n) {
  return n == 0 ? std::string_view() : std::string_view(p, n);
}

}  // namespace wrap

// ---- version, names and the dtype table
inline const char* version_string() { return mwt_version_string(); }
inline uint32_t version_number() { return mwt_version_number(); }
inline uint32_t abi_version() { return mwt_abi_version(); }
inline const char* code_name(mwt_code c) { return mwt_code_name(c); }
inline const char* format_name(mwt_format f) { return mwt_format_name(f); }
inline const char* value_type_name(mwt_value_type t) { return mwt_value_type_name(t); }
// Bytes of one scalar of t; 0 for STRING, ARRAY and invalid values.
inline uint32_t value_type_size(mwt_value_type t) { return mwt_value_type_size(t); }
// dtype names are NULL for invalid ids; "?" keeps printing code simple.
inline const char* dtype_name(mwt_dtype d) {
  const char* n = mwt_dtype_name(d);
  return n ? n : "?";
}
// Elements and bytes per block; 0 for an invalid id.
inline uint32_t dtype_block_size(mwt_dtype d) { return mwt_dtype_block_size(d); }
inline uint32_t dtype_type_size(mwt_dtype d) { return mwt_dtype_type_size(d); }
inline mwt_dtype dtype_from_name(const std::string& name) {
  mwt_dtype d{};
  wrap::check(mwt_dtype_from_name(name.c_str(), &d));
  return d;
}
inline mwt_format detect_format(const std::string& path) {
  mwt_format f{};
  wrap::check(mwt_detect_format(path.c_str(), &f));
  return f;
}

// ---- conversions, dequantization and quantization (caller-owned buffers, as in mwt.h)
inline void convert_to_f32(mwt_dtype src_dtype, const void* src, size_t n, float* dst) {
  wrap::check(mwt_convert_to_f32(src_dtype, src, n, dst));
}
inline void convert_from_f32(mwt_dtype dst_dtype, const float* src, size_t n, void* dst) {
  wrap::check(mwt_convert_from_f32(dst_dtype, src, n, dst));
}
inline bool can_dequantize(mwt_dtype d) { return mwt_can_dequantize(d) != 0; }
inline void dequantize(mwt_dtype dtype, const void* src, size_t src_bytes, float* dst, size_t n) {
  wrap::check(mwt_dequantize(dtype, src, src_bytes, dst, n));
}
inline void dequantize_threads(mwt_dtype dtype, const void* src, size_t src_bytes, float* dst,
                               size_t n, int n_threads) {
  wrap::check(mwt_dequantize_threads(dtype, src, src_bytes, dst, n, n_threads));
}
// "avx2" or "scalar": the kernels dequantize uses in this process.
inline const char* active_isa() { return mwt_active_isa(); }
inline bool can_quantize(mwt_dtype d) { return mwt_can_quantize(d) != 0; }
inline void quantize(mwt_dtype dtype, const float* src, size_t n, void* dst, size_t dst_bytes) {
  wrap::check(mwt_quantize(dtype, src, n, dst, dst_bytes));
}
// [experimental] Importance-weighted K-quants: weights holds row_len values applied per row.
inline void quantize_weighted(mwt_dtype dtype, const float* src, size_t n, void* dst,
                              size_t dst_bytes, const float* weights, size_t row_len) {
  wrap::check(mwt_quantize_weighted(dtype, src, n, dst, dst_bytes, weights, row_len));
}

// ---- GGUF file types (general.file_type)
// "Q4_K_M", ... (the GUESSED flag is ignored); nullptr for an unknown value.
inline const char* file_type_name(uint32_t file_type) { return mwt_file_type_name(file_type); }
inline uint32_t file_type_from_name(const std::string& name) {
  uint32_t v = 0;
  wrap::check(mwt_file_type_from_name(name.c_str(), &v));
  return v;
}

// Open options (limits and strictness), string-keyed as in mwt.h: pass MWT_OPT_* keys.
class Options : public wrap::Handle<mwt_options, mwt_options_free> {
 public:
  Options() { wrap::check(mwt_options_create(&h_)); }

  Options& set(const std::string& key, int64_t value) {
    wrap::check(mwt_options_set_int(h_, key.c_str(), value));
    return *this;
  }
  int64_t get(const std::string& key) const {
    int64_t v = 0;
    wrap::check(mwt_options_get_int(h_, key.c_str(), &v));
    return v;
  }
  const mwt_options* handle() const noexcept { return h_; }
};

// One tensor's description; name, shape and data point into the File that produced it.
struct Tensor {
  std::string_view name;
  mwt_dtype dtype{};
  std::vector<uint64_t> shape;  // numpy order
  uint64_t nbytes = 0;
  uint64_t offset = 0;  // within its shard
  size_t shard = 0;
  const void* data = nullptr;  // zero-copy; may be unaligned; nullptr for 0 bytes
};

// An open, fully validated weight file. Views it hands out live as long as the File.
class File : public wrap::Handle<mwt_file, mwt_file_free> {
 public:
  explicit File(const std::string& path) { wrap::check(mwt_file_open(path.c_str(), nullptr, &h_)); }
  File(const std::string& path, const Options& options) {
    wrap::check(mwt_file_open(path.c_str(), options.handle(), &h_));
  }

  mwt_format format() const noexcept { return mwt_file_format(h_); }
  uint32_t version() const noexcept { return mwt_file_version(h_); }
  uint64_t size() const noexcept { return mwt_file_size(h_); }
  uint64_t data_offset() const noexcept { return mwt_file_data_offset(h_); }
  uint32_t alignment() const noexcept { return mwt_file_alignment(h_); }
  size_t shard_count() const noexcept { return mwt_file_shard_count(h_); }
  std::string shard_path(size_t i) const {
    const char* p = mwt_file_shard_path(h_, i);
    if (p == nullptr)
      throw Error(MWT_E_ARGUMENT, "ARGUMENT: shard index out of range", UINT64_MAX, "");
    return p;
  }
  std::vector<std::string> warnings() const {
    std::vector<std::string> out;
    for (size_t i = 0, n = mwt_file_warning_count(h_); i < n; ++i)
      out.emplace_back(mwt_file_warning(h_, i));
    return out;
  }

  // ---- metadata (indexes are file order)
  size_t metadata_count() const noexcept { return mwt_file_metadata_count(h_); }
  std::string_view metadata_key(size_t i) const {
    const char* k = nullptr;
    size_t n = 0;
    wrap::check(mwt_file_metadata_key(h_, i, &k, &n));
    return wrap::view(k, n);
  }
  // The index of key, nullopt when absent; Error(IO) when the file changed while mapped.
  std::optional<size_t> find_metadata(std::string_view key) const {
    const int64_t i = mwt_file_metadata_find(h_, key.data(), key.size());
    if (i == -2)
      throw Error(MWT_E_IO, "IO: the file changed while mapped (metadata lookup)", UINT64_MAX, "");
    return i < 0 ? std::nullopt : std::optional<size_t>(static_cast<size_t>(i));
  }
  mwt_value_type metadata_type(size_t i) const {
    mwt_value_type t{};
    wrap::check(mwt_file_metadata_type(h_, i, &t));
    return t;
  }
  // Element type and count of an array entry (Error TYPE_MISMATCH for a non-array).
  std::pair<mwt_value_type, uint64_t> array_info(size_t i) const {
    mwt_value_type t{};
    uint64_t n = 0;
    wrap::check(mwt_file_metadata_array_info(h_, i, &t, &n));
    return {t, n};
  }
  // Typed scalar: T must match the stored type exactly (uint32_t for UINT32, float for
  // FLOAT32, ...); anything else throws TYPE_MISMATCH.
  template <typename T>
  T get(size_t i) const {
    T v{};
    wrap::check(get_raw(i, &v));
    return v;
  }
  bool get_bool(size_t i) const {
    int v = 0;
    wrap::check(mwt_file_metadata_get_bool(h_, i, &v));
    return v != 0;
  }
  // Copies n bytes at src, a pointer or view this handle gave out, to dst, guarded against the
  // file shrinking under it (mwt.h, "Mapped files"): Error(IO) instead of SIGBUS.
  void copy_bytes(const void* src, size_t n, void* dst) const {
    wrap::check(mwt_file_copy_bytes(h_, src, n, dst));
  }
  // A view this handle gave out (a key, a string value) copied into a string, guarded likewise.
  std::string copy_string(std::string_view view) const {
    std::string out(view.size(), '\0');
    copy_bytes(view.data(), view.size(), out.data());
    return out;
  }
  std::string_view get_string(size_t i) const {
    const char* s = nullptr;
    size_t n = 0;
    wrap::check(mwt_file_metadata_get_string(h_, i, &s, &n));
    return wrap::view(s, n);
  }
  // Zero-copy view of a numeric array: its raw little-endian elements (possibly unaligned: copy
  // with memcpy, mwt::value_type_size(elem_type) bytes each) and their count. Throws
  // TYPE_MISMATCH unless the elements are exactly elem_type.
  std::pair<const void*, uint64_t> array_data(size_t i, mwt_value_type elem_type) const {
    const void* data = nullptr;
    uint64_t count = 0;
    wrap::check(mwt_file_metadata_get_array(h_, i, elem_type, &data, &count));
    return {data, count};
  }
  // A numeric array copied out with its exact element type.
  template <typename T>
  std::vector<T> get_array(size_t i) const {
    constexpr mwt_value_type want = wrap::ValueTypeOf<T>::value;
    const auto [type, count] = array_info(i);
    // Let the C call report a wrong element type by name before anything is allocated.
    if (type != want) wrap::check(mwt_file_metadata_copy_array(h_, i, want, nullptr, count));
    std::vector<T> out(static_cast<size_t>(count));
    wrap::check(mwt_file_metadata_copy_array(h_, i, want, out.data(), count));
    return out;
  }
  std::vector<bool> get_bool_array(size_t i) const {
    const auto [type, count] = array_info(i);
    if (type != MWT_VALUE_BOOL)
      wrap::check(mwt_file_metadata_copy_array(h_, i, MWT_VALUE_BOOL, nullptr, count));
    std::vector<uint8_t> raw(static_cast<size_t>(count));
    wrap::check(mwt_file_metadata_copy_array(h_, i, MWT_VALUE_BOOL, raw.data(), count));
    return std::vector<bool>(raw.begin(), raw.end());
  }
  std::string_view get_array_string(size_t i, uint64_t j) const {
    const char* s = nullptr;
    size_t n = 0;
    wrap::check(mwt_file_metadata_get_array_string(h_, i, j, &s, &n));
    return wrap::view(s, n);
  }
  std::vector<std::string_view> get_string_array(size_t i) const {
    const auto [type, count] = array_info(i);
    if (type != MWT_VALUE_STRING) (void)get_array_string(i, 0);  // throws TYPE_MISMATCH
    std::vector<std::string_view> out;
    out.reserve(static_cast<size_t>(count));
    for (uint64_t j = 0; j < count; ++j) out.push_back(get_array_string(i, j));
    return out;
  }

  // ---- tensors (file order)
  size_t tensor_count() const noexcept { return mwt_file_tensor_count(h_); }
  std::optional<size_t> find_tensor(std::string_view name) const {
    const int64_t i = mwt_file_tensor_find(h_, name.data(), name.size());
    return i < 0 ? std::nullopt : std::optional<size_t>(static_cast<size_t>(i));
  }
  Tensor tensor(size_t i) const {
    Tensor t;
    const char* name = nullptr;
    size_t len = 0, ndim = 0;
    const uint64_t* dims = nullptr;
    wrap::check(mwt_file_tensor_name(h_, i, &name, &len));
    wrap::check(mwt_file_tensor_dtype(h_, i, &t.dtype));
    wrap::check(mwt_file_tensor_shape(h_, i, &ndim, &dims));
    wrap::check(mwt_file_tensor_nbytes(h_, i, &t.nbytes));
    wrap::check(mwt_file_tensor_offset(h_, i, &t.offset, &t.shard));
    wrap::check(mwt_file_tensor_data(h_, i, &t.data));
    t.name = wrap::view(name, len);
    if (ndim != 0) t.shape.assign(dims, dims + ndim);
    return t;
  }

  // ---- quantization analysis [experimental]
  // The JSON object of mwt_file_quantization (scheme, file type, histogram, ...).
  std::string quantization() const {
    char* json = nullptr;
    size_t len = 0;
    wrap::check(mwt_file_quantization(h_, &json, &len));
    const std::unique_ptr<char, void (*)(char*)> owned(json, mwt_string_free);
    return std::string(json, len);
  }
  // The type llama.cpp's quantizer would give each tensor (file order) for file_type.
  std::vector<mwt_dtype> plan_quantization(uint32_t file_type) const {
    std::vector<mwt_dtype> types(tensor_count());
    wrap::check(mwt_file_plan_quantization(h_, file_type, types.data(), types.size()));
    return types;
  }

  // ---- architecture analysis [experimental]
  // The JSON object of mwt_file_architecture; options may be nullptr (defaults).
  std::string architecture(const mwt_options* options = nullptr) const {
    char* json = nullptr;
    size_t len = 0;
    wrap::check(mwt_file_architecture(h_, options, &json, &len));
    const std::unique_ptr<char, void (*)(char*)> owned(json, mwt_string_free);
    return std::string(json, len);
  }

  // ---- integrity and statistics [experimental]
  // The JSON report of mwt_file_stats (per-tensor statistics, issues, duplicates). threads 0:
  // the default. progress (may be nullptr) must not throw: it is called from inside libmwt.
  std::string stats(uint32_t threads = 0, mwt_progress_fn progress = nullptr,
                    void* user = nullptr) const {
    char* json = nullptr;
    size_t len = 0;
    wrap::check(mwt_file_stats(h_, threads, progress, user, &json, &len));
    const std::unique_ptr<char, void (*)(char*)> owned(json, mwt_string_free);
    return std::string(json, len);
  }

  const mwt_file* handle() const noexcept { return h_; }

 private:
  mwt_status* get_raw(size_t i, uint8_t* v) const { return mwt_file_metadata_get_u8(h_, i, v); }
  mwt_status* get_raw(size_t i, int8_t* v) const { return mwt_file_metadata_get_i8(h_, i, v); }
  mwt_status* get_raw(size_t i, uint16_t* v) const { return mwt_file_metadata_get_u16(h_, i, v); }
  mwt_status* get_raw(size_t i, int16_t* v) const { return mwt_file_metadata_get_i16(h_, i, v); }
  mwt_status* get_raw(size_t i, uint32_t* v) const { return mwt_file_metadata_get_u32(h_, i, v); }
  mwt_status* get_raw(size_t i, int32_t* v) const { return mwt_file_metadata_get_i32(h_, i, v); }
  mwt_status* get_raw(size_t i, uint64_t* v) const { return mwt_file_metadata_get_u64(h_, i, v); }
  mwt_status* get_raw(size_t i, int64_t* v) const { return mwt_file_metadata_get_i64(h_, i, v); }
  mwt_status* get_raw(size_t i, float* v) const { return mwt_file_metadata_get_f32(h_, i, v); }
  mwt_status* get_raw(size_t i, double* v) const { return mwt_file_metadata_get_f64(h_, i, v); }
};

// Collects metadata and tensors, then writes GGUF or safetensors atomically (see mwt.h).
// Tensor data is borrowed until write() returns.
class Writer : public wrap::Handle<mwt_writer, mwt_writer_free> {
 public:
  explicit Writer(mwt_format format) { wrap::check(mwt_writer_create(format, &h_)); }

  Writer& set_alignment(uint32_t alignment) {
    wrap::check(mwt_writer_set_alignment(h_, alignment));
    return *this;
  }
  // Scalar metadata; the C++ type picks the stored type (uint32_t -> UINT32, float -> FLOAT32).
  template <typename T,
            typename = std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>>>
  Writer& add(std::string_view key, T value) {
    wrap::check(
        mwt_writer_add_metadata(h_, key.data(), key.size(), wrap::ValueTypeOf<T>::value, &value));
    return *this;
  }
  Writer& add_bool(std::string_view key, bool value) {
    const uint8_t b = value ? 1 : 0;
    wrap::check(mwt_writer_add_metadata(h_, key.data(), key.size(), MWT_VALUE_BOOL, &b));
    return *this;
  }
  Writer& add_string(std::string_view key, std::string_view value) {
    wrap::check(
        mwt_writer_add_metadata_string(h_, key.data(), key.size(), value.data(), value.size()));
    return *this;
  }
  template <typename T>
  Writer& add_array(std::string_view key, const std::vector<T>& values) {
    wrap::check(mwt_writer_add_metadata_array(
        h_, key.data(), key.size(), wrap::ValueTypeOf<T>::value, values.data(), values.size()));
    return *this;
  }
  Writer& add_string_array(std::string_view key, const std::vector<std::string>& values) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    ptrs.reserve(values.size());
    lens.reserve(values.size());
    for (const auto& s : values) {
      ptrs.push_back(s.data());
      lens.push_back(s.size());
    }
    wrap::check(mwt_writer_add_metadata_string_array(h_, key.data(), key.size(), ptrs.data(),
                                                     lens.data(), values.size()));
    return *this;
  }
  // data is borrowed: keep it alive and unchanged until write() returns.
  Writer& add_tensor(std::string_view name, mwt_dtype dtype, const std::vector<uint64_t>& shape,
                     const void* data, uint64_t nbytes) {
    wrap::check(mwt_writer_add_tensor(h_, name.data(), name.size(), dtype, shape.size(),
                                      shape.data(), data, nbytes));
    return *this;
  }
  void write(const std::string& path) { wrap::check(mwt_writer_write(h_, path.c_str())); }
};

// ---- tensor names [experimental]
// `name` of `family` in the naming `to` ("hf", "gguf", "canonical"); nullopt when unmapped.
inline std::optional<std::string> name_map(const std::string& name, const std::string& family,
                                           const std::string& to) {
  char* out = nullptr;
  size_t len = 0;
  wrap::check(mwt_name_map(name.c_str(), family.c_str(), to.c_str(), &out, &len));
  if (out == nullptr) return std::nullopt;
  const std::unique_ptr<char, void (*)(char*)> owned(out, mwt_string_free);
  return std::string(out, len);
}
// The JSON array of mwt_name_families.
inline std::string name_families() {
  char* out = nullptr;
  size_t len = 0;
  wrap::check(mwt_name_families(&out, &len));
  const std::unique_ptr<char, void (*)(char*)> owned(out, mwt_string_free);
  return std::string(out, len);
}

}  // namespace mwt

// The tokenizer wrapper (mwt::Tokenizer) lives in mwt_tokenizer.hpp, part of this header.
#include "mwt_tokenizer.hpp"  // IWYU pragma: export

#endif  // MWT_HPP
