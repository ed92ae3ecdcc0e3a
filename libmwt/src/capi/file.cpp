// C ABI: format detection, opening a weight file, and the read-only accessors over its
// metadata and tensor table. Typed getters check the stored type exactly (formats.md rule 8).
// Accessors that only read a member of a live handle cannot throw and need no barrier.
#include <cstdint>
#include <cstring>
#include <string>

#include "capi/barrier.hpp"
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

template <typename T>
mwt_status* get_scalar(const mwt_file* f, size_t i, T* out, ValueType want, const char* function) {
  MWT_API_BEGIN
  const MetaEntry& e = entry_at(f, i, function);
  require_out(out, function, "out");
  if (e.value.type != want) type_mismatch(e, value_type_name(want));
  T v;
  std::memcpy(&v, &e.value.scalar_bits, sizeof v);  // raw LE bytes, zero-extended
  *out = v;
  MWT_API_END
}

// The numeric array at entry i with exactly elem_type elements; TYPE_MISMATCH otherwise.
const MetaEntry& numeric_array(const mwt_file* f, size_t i, mwt_value_type elem_type,
                               const char* function) {
  const MetaEntry& e = entry_at(f, i, function);
  const auto want = static_cast<ValueType>(elem_type);
  if (mwt::detail::value_type_size(want) == 0 ||
      static_cast<uint32_t>(elem_type) >= mwt::detail::kValueTypeCount)
    bad_argument(function, "element type " + std::to_string(static_cast<int>(elem_type)) +
                               " is not a numeric value type");
  if (e.value.type != ValueType::ARRAY || e.value.elem_type != want)
    type_mismatch(e, std::string(value_type_name(want)) + " array");
  return e;
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
  *out = static_cast<mwt_format>(mwt::detail::detect_format(path));
  MWT_API_END
}

MWT_API const char* mwt_value_type_name(mwt_value_type type) {
  const auto t = static_cast<uint32_t>(type);
  return t < mwt::detail::kValueTypeCount ? value_type_name(static_cast<ValueType>(t)) : nullptr;
}

MWT_API mwt_status* mwt_file_open(const char* path, const mwt_options* options, mwt_file** out) {
  MWT_API_BEGIN
  if (path == nullptr) bad_argument("mwt_file_open", "path is NULL");
  require_out(out, "mwt_file_open", "out");
  const mwt::detail::OpenOptions opts = options ? options->opts : mwt::detail::OpenOptions{};
  auto handle = std::make_unique<mwt_file>();
  handle->wf = mwt::detail::open_weight_file(path, opts);
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
MWT_API size_t mwt_file_shard_count(const mwt_file* f) { return f && f->wf ? f->wf->files.size() : 0; }

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
  MWT_API_BEGIN
  const MetaEntry& e = entry_at(f, i, "mwt_file_metadata_key");
  require_out(key, "mwt_file_metadata_key", "key");
  require_out(len, "mwt_file_metadata_key", "len");
  *key = e.key.data();
  *len = e.key.size();
  MWT_API_END
}

MWT_API int64_t mwt_file_metadata_find(const mwt_file* f, const char* key, size_t len) {
  MWT_API_BEGIN
    if (!f || !f->wf || (key == nullptr && len != 0)) return -1;
    return f->wf->find_metadata(std::string_view(key ? key : "", len));
  MWT_API_END_RETURN(-1)
}

MWT_API mwt_status* mwt_file_metadata_type(const mwt_file* f, size_t i, mwt_value_type* type) {
  MWT_API_BEGIN
  const MetaEntry& e = entry_at(f, i, "mwt_file_metadata_type");
  require_out(type, "mwt_file_metadata_type", "type");
  *type = static_cast<mwt_value_type>(e.value.type);
  MWT_API_END
}

MWT_API mwt_status* mwt_file_metadata_array_info(const mwt_file* f, size_t i,
                                                 mwt_value_type* elem_type, uint64_t* count) {
  MWT_API_BEGIN
  const MetaEntry& e = entry_at(f, i, "mwt_file_metadata_array_info");
  require_out(elem_type, "mwt_file_metadata_array_info", "elem_type");
  require_out(count, "mwt_file_metadata_array_info", "count");
  if (e.value.type != ValueType::ARRAY) type_mismatch(e, "an array");
  *elem_type = static_cast<mwt_value_type>(e.value.elem_type);
  *count = e.value.count;
  MWT_API_END
}

MWT_API mwt_status* mwt_file_metadata_get_u8(const mwt_file* f, size_t i, uint8_t* out) {
  return get_scalar(f, i, out, ValueType::U8, "mwt_file_metadata_get_u8");
}
MWT_API mwt_status* mwt_file_metadata_get_i8(const mwt_file* f, size_t i, int8_t* out) {
  return get_scalar(f, i, out, ValueType::I8, "mwt_file_metadata_get_i8");
}
MWT_API mwt_status* mwt_file_metadata_get_u16(const mwt_file* f, size_t i, uint16_t* out) {
  return get_scalar(f, i, out, ValueType::U16, "mwt_file_metadata_get_u16");
}
MWT_API mwt_status* mwt_file_metadata_get_i16(const mwt_file* f, size_t i, int16_t* out) {
  return get_scalar(f, i, out, ValueType::I16, "mwt_file_metadata_get_i16");
}
MWT_API mwt_status* mwt_file_metadata_get_u32(const mwt_file* f, size_t i, uint32_t* out) {
  return get_scalar(f, i, out, ValueType::U32, "mwt_file_metadata_get_u32");
}
MWT_API mwt_status* mwt_file_metadata_get_i32(const mwt_file* f, size_t i, int32_t* out) {
  return get_scalar(f, i, out, ValueType::I32, "mwt_file_metadata_get_i32");
}
MWT_API mwt_status* mwt_file_metadata_get_u64(const mwt_file* f, size_t i, uint64_t* out) {
  return get_scalar(f, i, out, ValueType::U64, "mwt_file_metadata_get_u64");
}
MWT_API mwt_status* mwt_file_metadata_get_i64(const mwt_file* f, size_t i, int64_t* out) {
  return get_scalar(f, i, out, ValueType::I64, "mwt_file_metadata_get_i64");
}
MWT_API mwt_status* mwt_file_metadata_get_f32(const mwt_file* f, size_t i, float* out) {
  return get_scalar(f, i, out, ValueType::F32, "mwt_file_metadata_get_f32");
}
MWT_API mwt_status* mwt_file_metadata_get_f64(const mwt_file* f, size_t i, double* out) {
  return get_scalar(f, i, out, ValueType::F64, "mwt_file_metadata_get_f64");
}

MWT_API mwt_status* mwt_file_metadata_get_bool(const mwt_file* f, size_t i, int* out) {
  MWT_API_BEGIN
  const MetaEntry& e = entry_at(f, i, "mwt_file_metadata_get_bool");
  require_out(out, "mwt_file_metadata_get_bool", "out");
  if (e.value.type != ValueType::BOOL) type_mismatch(e, "BOOL");
  *out = (e.value.scalar_bits & 0xff) != 0 ? 1 : 0;
  MWT_API_END
}

MWT_API mwt_status* mwt_file_metadata_get_string(const mwt_file* f, size_t i, const char** str,
                                                 size_t* len) {
  MWT_API_BEGIN
  const MetaEntry& e = entry_at(f, i, "mwt_file_metadata_get_string");
  require_out(str, "mwt_file_metadata_get_string", "str");
  require_out(len, "mwt_file_metadata_get_string", "len");
  if (e.value.type != ValueType::STRING) type_mismatch(e, "STRING");
  *str = e.value.str.data();
  *len = e.value.str.size();
  MWT_API_END
}

MWT_API mwt_status* mwt_file_metadata_get_array(const mwt_file* f, size_t i,
                                                mwt_value_type elem_type, const void** data,
                                                uint64_t* count) {
  MWT_API_BEGIN
  const MetaEntry& e = numeric_array(f, i, elem_type, "mwt_file_metadata_get_array");
  require_out(data, "mwt_file_metadata_get_array", "data");
  require_out(count, "mwt_file_metadata_get_array", "count");
  *data = e.value.array_data;
  *count = e.value.count;
  MWT_API_END
}

MWT_API mwt_status* mwt_file_metadata_copy_array(const mwt_file* f, size_t i,
                                                 mwt_value_type elem_type, void* out,
                                                 uint64_t count) {
  MWT_API_BEGIN
  const char* fn = "mwt_file_metadata_copy_array";
  const MetaEntry& e = numeric_array(f, i, elem_type, fn);
  if (count != e.value.count)
    bad_argument(fn, "count " + std::to_string(count) + " differs from the array's " +
                         std::to_string(e.value.count) + " elements");
  if (count == 0) return nullptr;
  require_out(out, fn, "out");
  // count * size fits: the reader validated the array's bytes against the file size.
  const uint64_t bytes = count * mwt::detail::value_type_size(e.value.elem_type);
  std::memcpy(out, e.value.array_data, static_cast<size_t>(bytes));
  MWT_API_END
}

MWT_API mwt_status* mwt_file_metadata_get_array_string(const mwt_file* f, size_t i, uint64_t j,
                                                       const char** str, size_t* len) {
  MWT_API_BEGIN
  const char* fn = "mwt_file_metadata_get_array_string";
  const MetaEntry& e = entry_at(f, i, fn);
  require_out(str, fn, "str");
  require_out(len, fn, "len");
  if (e.value.type != ValueType::ARRAY || e.value.elem_type != ValueType::STRING)
    type_mismatch(e, "STRING array");
  if (j >= e.value.strings.size())
    bad_argument(fn, "element index " + std::to_string(j) + " is out of range (" +
                         std::to_string(e.value.strings.size()) + " strings)");
  *str = e.value.strings[j].data();
  *len = e.value.strings[j].size();
  MWT_API_END
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
  MWT_API_BEGIN
  const TensorInfo& t = tensor_at(f, i, "mwt_file_tensor_name");
  require_out(name, "mwt_file_tensor_name", "name");
  require_out(len, "mwt_file_tensor_name", "len");
  *name = t.name.c_str();
  *len = t.name.size();
  MWT_API_END
}

MWT_API mwt_status* mwt_file_tensor_dtype(const mwt_file* f, size_t i, mwt_dtype* out) {
  MWT_API_BEGIN
  const TensorInfo& t = tensor_at(f, i, "mwt_file_tensor_dtype");
  require_out(out, "mwt_file_tensor_dtype", "out");
  *out = static_cast<mwt_dtype>(t.dtype);
  MWT_API_END
}

MWT_API mwt_status* mwt_file_tensor_shape(const mwt_file* f, size_t i, size_t* ndim,
                                          const uint64_t** dims) {
  MWT_API_BEGIN
  const TensorInfo& t = tensor_at(f, i, "mwt_file_tensor_shape");
  require_out(ndim, "mwt_file_tensor_shape", "ndim");
  require_out(dims, "mwt_file_tensor_shape", "dims");
  *ndim = t.shape.size();
  *dims = t.shape.data();
  MWT_API_END
}

MWT_API mwt_status* mwt_file_tensor_nbytes(const mwt_file* f, size_t i, uint64_t* out) {
  MWT_API_BEGIN
  const TensorInfo& t = tensor_at(f, i, "mwt_file_tensor_nbytes");
  require_out(out, "mwt_file_tensor_nbytes", "out");
  *out = t.nbytes;
  MWT_API_END
}

MWT_API mwt_status* mwt_file_tensor_offset(const mwt_file* f, size_t i, uint64_t* offset,
                                           size_t* shard) {
  MWT_API_BEGIN
  const TensorInfo& t = tensor_at(f, i, "mwt_file_tensor_offset");
  require_out(offset, "mwt_file_tensor_offset", "offset");
  require_out(shard, "mwt_file_tensor_offset", "shard");
  *offset = t.offset;
  *shard = t.file_index;
  MWT_API_END
}

MWT_API mwt_status* mwt_file_tensor_data(const mwt_file* f, size_t i, const void** data) {
  MWT_API_BEGIN
  const TensorInfo& t = tensor_at(f, i, "mwt_file_tensor_data");
  require_out(data, "mwt_file_tensor_data", "data");
  *data = f->wf->tensor_data(t);
  MWT_API_END
}

}  // extern "C"
