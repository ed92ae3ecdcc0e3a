// C ABI: format detection, opening a weight file, and the read-only accessors over its
// metadata and tensor table. Typed getters check the stored type exactly
// (docs/readers.md#rule-8-typed-getters-check-the-type). Accessors that only read a member of a
// live handle cannot throw and need no barrier; those that return a status share one body,
// read_entry.
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>

#include "capi/barrier.hpp"
#include "core/sigbus_guard.hpp"
#include "formats/open.hpp"

namespace {

using mwt::capi::bad_argument;
using mwt::capi::file_of;
using mwt::capi::require_out;
using mwt::detail::Code;
using mwt::detail::MetaEntry;
using mwt::detail::TensorInfo;
using mwt::detail::ValueType;
using mwt::detail::WeightFile;

std::string field_of(const MetaEntry& e) {
  return "kv[\"" + mwt::detail::escape_for_message(e.key) + "\"]";
}

const MetaEntry& entry_at(const mwt_file* f, size_t i, const char* function) {
  const WeightFile& wf = file_of(f, function);
  if (i >= wf.metadata.size())
    bad_argument(function, "metadata index " + std::to_string(i) + " is out of range (" +
                               std::to_string(wf.metadata.size()) + " entries)");
  return wf.metadata[i];
}

const TensorInfo& tensor_at(const mwt_file* f, size_t i, const char* function) {
  const WeightFile& wf = file_of(f, function);
  if (i >= wf.tensors.size())
    bad_argument(function, "tensor index " + std::to_string(i) + " is out of range (" +
                               std::to_string(wf.tensors.size()) + " tensors)");
  return wf.tensors[i];
}

// "INT8 array" / "UINT32": how a stored value reads in a TYPE_MISMATCH message.
std::string stored_type(const MetaEntry& e) {
  if (e.value.type == ValueType::ARRAY)
    return std::string(value_type_name(e.value.elem_type)) + " array";
  return value_type_name(e.value.type);
}

[[noreturn]] void type_mismatch(const MetaEntry& e, const std::string& requested) {
  mwt::detail::fail(Code::TYPE_MISMATCH,
                    "metadata key \"" + mwt::detail::escape_for_message(e.key) + "\" holds " +
                        stored_type(e) + ", not " + requested,
                    e.offset, field_of(e));
}

// One out-pointer of an accessor and its name for the ARGUMENT message.
template <typename T>
struct Out {
  T* ptr;
  const char* name;
};
template <typename T>
Out(T*, const char*) -> Out<T>;

// The body of every status-returning accessor of entry i (metadata with At = entry_at, tensors
// with At = tensor_at), inside the barrier: look the entry up, require every out-pointer, then
// `read` the entry into a tuple of values (it may throw, e.g. TYPE_MISMATCH) and only then
// store them, so the outputs stay untouched on failure.
template <auto At, typename Read, typename... T>
mwt_status* read_entry(const mwt_file* f, size_t i, const char* function, Read read,
                       Out<T>... outs) {
  MWT_API_BEGIN
  const auto& entry = At(f, i, function);
  (require_out(outs.ptr, function, outs.name), ...);
  std::apply([&](auto&&... values) { ((*outs.ptr = values), ...); }, read(entry));
  MWT_API_END
}

template <typename T>
mwt_status* get_scalar(const mwt_file* f, size_t i, T* out, ValueType want, const char* function) {
  return read_entry<entry_at>(
      f, i, function,
      [want](const MetaEntry& e) {
        if (e.value.type != want) type_mismatch(e, value_type_name(want));
        T v;
        std::memcpy(&v, &e.value.scalar_bits, sizeof v);  // raw LE bytes, zero-extended
        return std::tuple(v);
      },
      Out{out, "out"});
}

// The numeric array at entry e with exactly elem_type elements; TYPE_MISMATCH otherwise.
void require_numeric_array(const MetaEntry& e, mwt_value_type elem_type, const char* function) {
  const auto want = static_cast<ValueType>(elem_type);
  if (mwt::detail::value_type_size(want) == 0 ||
      static_cast<uint32_t>(elem_type) >= mwt::detail::kValueTypeCount)
    bad_argument(function, "element type " + std::to_string(static_cast<int>(elem_type)) +
                               " is not a numeric value type");
  if (e.value.type != ValueType::ARRAY || e.value.elem_type != want)
    type_mismatch(e, std::string(value_type_name(want)) + " array");
}

}  // namespace

extern "C" {

MWT_API const char* mwt_format_name(mwt_format format) {
  return mwt::detail::format_name(static_cast<mwt::detail::Format>(format));
}

MWT_API mwt_status* mwt_detect_format(const char* path, mwt_format* out) {
  MWT_API_BEGIN
  if (path == nullptr) bad_argument("mwt_detect_format", "path is NULL");
  require_out(out, "mwt_detect_format", "out");
  mwt::detail::run_guarded(  // the sniff reads a map (mwt.h, "Mapped files")
      [&] { *out = static_cast<mwt_format>(mwt::detail::detect_format(path)); });
  MWT_API_END
}

MWT_API const char* mwt_value_type_name(mwt_value_type type) {
  const auto t = static_cast<uint32_t>(type);
  return t < mwt::detail::kValueTypeCount ? value_type_name(static_cast<ValueType>(t)) : nullptr;
}

MWT_API uint32_t mwt_value_type_size(mwt_value_type type) {
  const auto t = static_cast<uint32_t>(type);
  return t < mwt::detail::kValueTypeCount ? value_type_size(static_cast<ValueType>(t)) : 0;
}

MWT_API mwt_status* mwt_file_open(const char* path, const mwt_options* options, mwt_file** out) {
  MWT_API_BEGIN
  if (path == nullptr) bad_argument("mwt_file_open", "path is NULL");
  require_out(out, "mwt_file_open", "out");
  const mwt::detail::OpenOptions opts = options ? options->opts : mwt::detail::OpenOptions{};
  auto handle = std::make_unique<mwt_file>();
  // Guarded: the readers parse headers straight from the map (mwt.h, "Mapped files").
  mwt::detail::run_guarded([&] { handle->wf = mwt::detail::open_weight_file(path, opts); });
  *out = handle.release();
  MWT_API_END
}

MWT_API void mwt_file_free(mwt_file* file) { delete file; }

MWT_API mwt_format mwt_file_format(const mwt_file* f) {
  return f && f->wf ? static_cast<mwt_format>(f->wf->format) : MWT_FORMAT_UNKNOWN;
}
MWT_API uint32_t mwt_file_version(const mwt_file* f) { return f && f->wf ? f->wf->version : 0; }
MWT_API uint64_t mwt_file_size(const mwt_file* f) { return f && f->wf ? f->wf->total_size : 0; }
MWT_API uint64_t mwt_file_data_offset(const mwt_file* f) {
  return f && f->wf ? f->wf->data_offset : 0;
}
MWT_API uint32_t mwt_file_alignment(const mwt_file* f) { return f && f->wf ? f->wf->alignment : 0; }
MWT_API size_t mwt_file_shard_count(const mwt_file* f) {
  return f && f->wf ? f->wf->files.size() : 0;
}

MWT_API const char* mwt_file_shard_path(const mwt_file* f, size_t i) {
  if (!f || !f->wf || i >= f->wf->files.size() || !f->wf->files[i]) return nullptr;
  return f->wf->files[i]->path().c_str();
}

MWT_API size_t mwt_file_warning_count(const mwt_file* f) {
  return f && f->wf ? f->wf->warnings.size() : 0;
}
MWT_API const char* mwt_file_warning(const mwt_file* f, size_t i) {
  if (!f || !f->wf || i >= f->wf->warnings.size()) return nullptr;
  return f->wf->warnings[i].c_str();
}

MWT_API size_t mwt_file_metadata_count(const mwt_file* f) {
  return f && f->wf ? f->wf->metadata.size() : 0;
}

MWT_API mwt_status* mwt_file_metadata_key(const mwt_file* f, size_t i, const char** key,
                                          size_t* len) {
  return read_entry<entry_at>(
      f, i, "mwt_file_metadata_key",
      [](const MetaEntry& e) { return std::tuple(e.key.data(), e.key.size()); }, Out{key, "key"},
      Out{len, "len"});
}

MWT_API int64_t mwt_file_metadata_find(const mwt_file* f, const char* key, size_t len) {
  MWT_API_BEGIN
  if (!f || !f->wf || (key == nullptr && len != 0)) return -1;
  // The lookup compares key bytes in the map (mwt.h, "Mapped files"): guarded, and a map that
  // lost pages at any time answers -2, not a wrong "absent" read from zeros.
  int64_t found = -1;
  try {
    mwt::detail::run_guarded(
        [&] { found = f->wf->find_metadata(std::string_view(key ? key : "", len)); });
    for (const auto& file : f->wf->files) file->require_unchanged();
  } catch (const mwt::detail::Error& e) {
    if (e.code() == Code::IO) return -2;
    throw;
  }
  return found;
  MWT_API_END_RETURN(-1)
}

MWT_API mwt_status* mwt_file_metadata_type(const mwt_file* f, size_t i, mwt_value_type* type) {
  return read_entry<entry_at>(
      f, i, "mwt_file_metadata_type",
      [](const MetaEntry& e) { return std::tuple(static_cast<mwt_value_type>(e.value.type)); },
      Out{type, "type"});
}

MWT_API mwt_status* mwt_file_metadata_array_info(const mwt_file* f, size_t i,
                                                 mwt_value_type* elem_type, uint64_t* count) {
  return read_entry<entry_at>(
      f, i, "mwt_file_metadata_array_info",
      [](const MetaEntry& e) {
        if (e.value.type != ValueType::ARRAY) type_mismatch(e, "an array");
        return std::tuple(static_cast<mwt_value_type>(e.value.elem_type), e.value.count);
      },
      Out{elem_type, "elem_type"}, Out{count, "count"});
}

// The typed scalar getters of mwt.h, one per numeric value type: X(suffix, C type, ValueType).
#define MWT_SCALAR_GETTERS_(X) \
  X(u8, uint8_t, U8)           \
  X(i8, int8_t, I8)            \
  X(u16, uint16_t, U16)        \
  X(i16, int16_t, I16)         \
  X(u32, uint32_t, U32)        \
  X(i32, int32_t, I32)         \
  X(u64, uint64_t, U64)        \
  X(i64, int64_t, I64)         \
  X(f32, float, F32)           \
  X(f64, double, F64)
#define MWT_SCALAR_GETTER_(suffix, ctype, vtype)                                                \
  MWT_API mwt_status* mwt_file_metadata_get_##suffix(const mwt_file* f, size_t i, ctype* out) { \
    return get_scalar(f, i, out, ValueType::vtype, "mwt_file_metadata_get_" #suffix);           \
  }
MWT_SCALAR_GETTERS_(MWT_SCALAR_GETTER_)
#undef MWT_SCALAR_GETTER_
#undef MWT_SCALAR_GETTERS_

MWT_API mwt_status* mwt_file_metadata_get_bool(const mwt_file* f, size_t i, int* out) {
  return read_entry<entry_at>(
      f, i, "mwt_file_metadata_get_bool",
      [](const MetaEntry& e) {
        if (e.value.type != ValueType::BOOL) type_mismatch(e, "BOOL");
        return std::tuple((e.value.scalar_bits & 0xff) != 0 ? 1 : 0);
      },
      Out{out, "out"});
}

MWT_API mwt_status* mwt_file_metadata_get_string(const mwt_file* f, size_t i, const char** str,
                                                 size_t* len) {
  return read_entry<entry_at>(
      f, i, "mwt_file_metadata_get_string",
      [](const MetaEntry& e) {
        if (e.value.type != ValueType::STRING) type_mismatch(e, "STRING");
        return std::tuple(e.value.str.data(), e.value.str.size());
      },
      Out{str, "str"}, Out{len, "len"});
}

MWT_API mwt_status* mwt_file_metadata_get_array(const mwt_file* f, size_t i,
                                                mwt_value_type elem_type, const void** data,
                                                uint64_t* count) {
  return read_entry<entry_at>(
      f, i, "mwt_file_metadata_get_array",
      [elem_type](const MetaEntry& e) {
        require_numeric_array(e, elem_type, "mwt_file_metadata_get_array");
        return std::tuple(static_cast<const void*>(e.value.array_data), e.value.count);
      },
      Out{data, "data"}, Out{count, "count"});
}

MWT_API mwt_status* mwt_file_metadata_copy_array(const mwt_file* f, size_t i,
                                                 mwt_value_type elem_type, void* out,
                                                 uint64_t count) {
  MWT_API_BEGIN
  const char* fn = "mwt_file_metadata_copy_array";
  const MetaEntry& e = entry_at(f, i, fn);
  require_numeric_array(e, elem_type, fn);
  if (count != e.value.count)
    bad_argument(fn, "count " + std::to_string(count) + " differs from the array's " +
                         std::to_string(e.value.count) + " elements");
  if (count == 0) return nullptr;
  require_out(out, fn, "out");
  // count * size fits: the reader validated the array's bytes against the file size.
  const uint64_t bytes = count * mwt::detail::value_type_size(e.value.elem_type);
  mwt::detail::run_guarded(  // array_data is a view into the map
      [&] { std::memcpy(out, e.value.array_data, static_cast<size_t>(bytes)); });
  mwt::detail::require_unchanged(e.value.array_data, bytes);
  MWT_API_END
}

MWT_API mwt_status* mwt_file_copy_bytes(const mwt_file* f, const void* src, size_t n, void* dst) {
  MWT_API_BEGIN
  const char* fn = "mwt_file_copy_bytes";
  file_of(f, fn);
  if (n == 0) return nullptr;
  if (src == nullptr) bad_argument(fn, "src is NULL");
  require_out(dst, fn, "dst");
  mwt::detail::run_guarded([&] { std::memmove(dst, src, n); });  // src may be in the map
  mwt::detail::require_unchanged(src, n);
  MWT_API_END
}

MWT_API mwt_status* mwt_file_metadata_get_array_string(const mwt_file* f, size_t i, uint64_t j,
                                                       const char** str, size_t* len) {
  constexpr const char* fn = "mwt_file_metadata_get_array_string";
  return read_entry<entry_at>(
      f, i, fn,
      [j](const MetaEntry& e) {
        if (e.value.type != ValueType::ARRAY || e.value.elem_type != ValueType::STRING)
          type_mismatch(e, "STRING array");
        if (j >= e.value.strings.size())
          bad_argument(fn, "element index " + std::to_string(j) + " is out of range (" +
                               std::to_string(e.value.strings.size()) + " strings)");
        return std::tuple(e.value.strings[j].data(), e.value.strings[j].size());
      },
      Out{str, "str"}, Out{len, "len"});
}

MWT_API size_t mwt_file_tensor_count(const mwt_file* f) {
  return f && f->wf ? f->wf->tensors.size() : 0;
}

MWT_API int64_t mwt_file_tensor_find(const mwt_file* f, const char* name, size_t len) {
  MWT_API_BEGIN
  if (!f || !f->wf || (name == nullptr && len != 0)) return -1;
  return f->wf->find_tensor(std::string_view(name ? name : "", len));
  MWT_API_END_RETURN(-1)
}

MWT_API mwt_status* mwt_file_tensor_name(const mwt_file* f, size_t i, const char** name,
                                         size_t* len) {
  return read_entry<tensor_at>(
      f, i, "mwt_file_tensor_name",
      [](const TensorInfo& t) { return std::tuple(t.name.c_str(), t.name.size()); },
      Out{name, "name"}, Out{len, "len"});
}

MWT_API mwt_status* mwt_file_tensor_dtype(const mwt_file* f, size_t i, mwt_dtype* out) {
  return read_entry<tensor_at>(
      f, i, "mwt_file_tensor_dtype",
      [](const TensorInfo& t) { return std::tuple(static_cast<mwt_dtype>(t.dtype)); },
      Out{out, "out"});
}

MWT_API mwt_status* mwt_file_tensor_shape(const mwt_file* f, size_t i, size_t* ndim,
                                          const uint64_t** dims) {
  return read_entry<tensor_at>(
      f, i, "mwt_file_tensor_shape",
      [](const TensorInfo& t) { return std::tuple(t.shape.size(), t.shape.data()); },
      Out{ndim, "ndim"}, Out{dims, "dims"});
}

MWT_API mwt_status* mwt_file_tensor_nbytes(const mwt_file* f, size_t i, uint64_t* out) {
  return read_entry<tensor_at>(
      f, i, "mwt_file_tensor_nbytes", [](const TensorInfo& t) { return std::tuple(t.nbytes); },
      Out{out, "out"});
}

MWT_API mwt_status* mwt_file_tensor_offset(const mwt_file* f, size_t i, uint64_t* offset,
                                           size_t* shard) {
  return read_entry<tensor_at>(
      f, i, "mwt_file_tensor_offset",
      [](const TensorInfo& t) { return std::tuple(t.offset, static_cast<size_t>(t.file_index)); },
      Out{offset, "offset"}, Out{shard, "shard"});
}

MWT_API mwt_status* mwt_file_tensor_data(const mwt_file* f, size_t i, const void** data) {
  return read_entry<tensor_at>(
      f, i, "mwt_file_tensor_data",
      [f](const TensorInfo& t) {
        return std::tuple(static_cast<const void*>(f->wf->tensor_data(t)));
      },
      Out{data, "data"});
}

}  // extern "C"
