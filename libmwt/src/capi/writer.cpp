// C ABI: the writer handle. It validates each call up front (so a mistake is reported where it
// is made, not at write time) against its format's registry row (formats/registry.hpp),
// collects a WriteSpec (keys and metadata copied, tensor data borrowed) and hands it to the
// row's writer, which writes atomically and re-reads.
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_set>

#include "capi/barrier.hpp"
#include "core/checked.hpp"
#include "core/dtype.hpp"
#include "core/sigbus_guard.hpp"
#include "formats/registry.hpp"

using mwt::capi::bad_argument;
using mwt::detail::Code;
using mwt::detail::ValueType;

struct mwt_writer {
  // Copied from the format's row, so the handle never points into the (test-extensible) table.
  mwt::detail::FormatWriter rules;
  const char* label = "";
  mwt::detail::WriteSpec spec;
  std::unordered_set<std::string> keys;  // duplicate detection, O(1) per call
  std::unordered_set<std::string> names;
};

namespace {

mwt_writer& writer_of(mwt_writer* w, const char* function) {
  if (w == nullptr) bad_argument(function, "writer is NULL");
  return *w;
}

std::string kv_field(const std::string& key) {
  return "kv[\"" + mwt::detail::escape_for_message(key) + "\"]";
}

// Copies and checks a metadata key: non-NULL bytes, non-empty where the format requires it (an
// empty GGUF key is malformed), not already added.
std::string take_key(const mwt_writer& w, const char* key, size_t key_len, const char* function) {
  if (key == nullptr && key_len != 0) bad_argument(function, "key is NULL");
  std::string k(key ? key : "", key_len);
  if (k.empty() && !w.rules.empty_keys)
    bad_argument(function, std::string(w.label) + " metadata keys must not be empty");
  if (w.keys.count(k) != 0)
    mwt::detail::fail(Code::DUPLICATE,
                      "metadata key \"" + mwt::detail::escape_for_message(k) + "\" added twice",
                      mwt::detail::kNoOffset, kv_field(k));
  return k;
}

// Scalars and array elements: the numeric types and BOOL (not STRING or ARRAY).
bool is_numeric(mwt_value_type t) {
  const auto u = static_cast<uint32_t>(t);
  return u < mwt::detail::kValueTypeCount &&
         mwt::detail::value_type_size(static_cast<ValueType>(u)) != 0;
}

// Formats without typed metadata (safetensors __metadata__) hold string -> string only.
void require_typed_metadata(const mwt_writer& w, const std::string& key, const char* what) {
  if (!w.rules.typed_metadata)
    mwt::detail::fail(Code::TYPE_MISMATCH,
                      std::string(w.label) + " metadata values are strings; cannot store " + what +
                          " under \"" + mwt::detail::escape_for_message(key) + "\"",
                      mwt::detail::kNoOffset, kv_field(key));
}

void push_meta(mwt_writer& w, mwt::detail::WriteMeta m) {
  w.spec.metadata.push_back(std::move(m));
  try {
    w.keys.insert(w.spec.metadata.back().key);
  } catch (...) {
    w.spec.metadata.pop_back();  // keep the handle consistent: a failed add leaves no trace
    throw;
  }
}

}  // namespace

extern "C" {

MWT_API mwt_status* mwt_writer_create(mwt_format format, mwt_writer** out) {
  MWT_API_BEGIN
  mwt::capi::require_out(out, "mwt_writer_create", "out");
  const mwt::detail::FormatRow* row =
      mwt::detail::find_format_row(static_cast<mwt::detail::Format>(format));
  if (row == nullptr || row->writer == nullptr)
    bad_argument("mwt_writer_create",
                 "format " + std::to_string(static_cast<int>(format)) + " cannot be written (" +
                     mwt::detail::list_format_rows([](const mwt::detail::FormatRow& r) {
                       return r.writer != nullptr ? r.writer->constant : nullptr;
                     }) +
                     " only)");
  auto* w = new mwt_writer;
  w->rules = *row->writer;
  w->label = row->label != nullptr ? row->label : row->name;
  *out = w;
  MWT_API_END
}

MWT_API void mwt_writer_free(mwt_writer* writer) { delete writer; }

MWT_API mwt_status* mwt_writer_set_alignment(mwt_writer* w, uint32_t alignment) {
  MWT_API_BEGIN
  mwt_writer& wr = writer_of(w, "mwt_writer_set_alignment");
  if (!wr.rules.alignment)
    bad_argument("mwt_writer_set_alignment",
                 "alignment applies to " +
                     mwt::detail::list_format_rows([](const mwt::detail::FormatRow& r) {
                       return r.writer != nullptr && r.writer->alignment ? r.label : nullptr;
                     }) +
                     " only");
  if (!mwt::detail::is_pow2(alignment))
    bad_argument("mwt_writer_set_alignment",
                 "alignment " + std::to_string(alignment) + " is not a power of two");
  wr.spec.alignment = alignment;
  MWT_API_END
}

MWT_API mwt_status* mwt_writer_add_metadata(mwt_writer* w, const char* key, size_t key_len,
                                            mwt_value_type type, const void* value) {
  MWT_API_BEGIN
  const char* fn = "mwt_writer_add_metadata";
  mwt_writer& wr = writer_of(w, fn);
  std::string k = take_key(wr, key, key_len, fn);
  if (type == MWT_VALUE_STRING) bad_argument(fn, "use mwt_writer_add_metadata_string for strings");
  if (!is_numeric(type))
    bad_argument(fn, "value type " + std::to_string(static_cast<int>(type)) +
                         " is not a scalar type (arrays have their own calls)");
  require_typed_metadata(wr, k, mwt_value_type_name(type));
  if (value == nullptr) bad_argument(fn, "value is NULL");
  mwt::detail::WriteMeta m;
  m.type = static_cast<ValueType>(type);
  std::memcpy(&m.scalar_bits, value, mwt::detail::value_type_size(m.type));
  if (type == MWT_VALUE_BOOL && m.scalar_bits > 1)
    bad_argument(fn, "BOOL value must be 0 or 1, not " + std::to_string(m.scalar_bits));
  m.key = std::move(k);
  push_meta(wr, std::move(m));
  MWT_API_END
}

MWT_API mwt_status* mwt_writer_add_metadata_string(mwt_writer* w, const char* key, size_t key_len,
                                                   const char* str, size_t len) {
  MWT_API_BEGIN
  const char* fn = "mwt_writer_add_metadata_string";
  mwt_writer& wr = writer_of(w, fn);
  std::string k = take_key(wr, key, key_len, fn);
  if (str == nullptr && len != 0) bad_argument(fn, "str is NULL");
  mwt::detail::WriteMeta m;
  m.type = ValueType::STRING;
  m.str.assign(str ? str : "", len);
  m.key = std::move(k);
  push_meta(wr, std::move(m));
  MWT_API_END
}

MWT_API mwt_status* mwt_writer_add_metadata_array(mwt_writer* w, const char* key, size_t key_len,
                                                  mwt_value_type elem_type, const void* data,
                                                  uint64_t count) {
  MWT_API_BEGIN
  const char* fn = "mwt_writer_add_metadata_array";
  mwt_writer& wr = writer_of(w, fn);
  std::string k = take_key(wr, key, key_len, fn);
  if (!is_numeric(elem_type))
    bad_argument(fn, "element type " + std::to_string(static_cast<int>(elem_type)) +
                         " is not numeric (string arrays have their own call)");
  require_typed_metadata(wr, k, "an array");
  if (data == nullptr && count != 0) bad_argument(fn, "data is NULL");
  const auto et = static_cast<ValueType>(elem_type);
  const uint64_t bytes =
      mwt::detail::checked_mul(count, mwt::detail::value_type_size(et), "array byte size");
  const auto* p = static_cast<const uint8_t*>(data);
  if (elem_type == MWT_VALUE_BOOL)
    for (uint64_t j = 0; j < count; ++j)
      if (p[j] > 1)
        bad_argument(fn, "BOOL element " + std::to_string(j) + " is " + std::to_string(p[j]) +
                             ", not 0 or 1");
  mwt::detail::WriteMeta m;
  m.type = ValueType::ARRAY;
  m.elem_type = et;
  m.count = count;
  if (bytes != 0) m.array_bytes.assign(p, p + bytes);
  m.key = std::move(k);
  push_meta(wr, std::move(m));
  MWT_API_END
}

MWT_API mwt_status* mwt_writer_add_metadata_string_array(mwt_writer* w, const char* key,
                                                         size_t key_len, const char* const* strs,
                                                         const size_t* lens, uint64_t count) {
  MWT_API_BEGIN
  const char* fn = "mwt_writer_add_metadata_string_array";
  mwt_writer& wr = writer_of(w, fn);
  std::string k = take_key(wr, key, key_len, fn);
  require_typed_metadata(wr, k, "a string array");
  if (count != 0 && (strs == nullptr || lens == nullptr)) bad_argument(fn, "strs or lens is NULL");
  mwt::detail::WriteMeta m;
  m.type = ValueType::ARRAY;
  m.elem_type = ValueType::STRING;
  m.count = count;
  m.strings.reserve(count);  // the caller's arrays hold count entries, so this is theirs to size
  for (uint64_t j = 0; j < count; ++j) {
    if (strs[j] == nullptr && lens[j] != 0)
      bad_argument(fn, "strs[" + std::to_string(j) + "] is NULL");
    m.strings.emplace_back(strs[j] ? strs[j] : "", lens[j]);
  }
  m.key = std::move(k);
  push_meta(wr, std::move(m));
  MWT_API_END
}

MWT_API mwt_status* mwt_writer_add_tensor(mwt_writer* w, const char* name, size_t name_len,
                                          mwt_dtype dtype, size_t ndim, const uint64_t* shape,
                                          const void* data, uint64_t nbytes) {
  MWT_API_BEGIN
  const char* fn = "mwt_writer_add_tensor";
  mwt_writer& wr = writer_of(w, fn);
  if (name == nullptr && name_len != 0) bad_argument(fn, "name is NULL");
  if (shape == nullptr && ndim != 0) bad_argument(fn, "shape is NULL");
  if (data == nullptr && nbytes != 0) bad_argument(fn, "data is NULL");
  mwt::detail::WriteTensor t;
  t.name.assign(name ? name : "", name_len);
  const std::string field = "tensors[\"" + mwt::detail::escape_for_message(t.name) + "\"]";
  if (wr.names.count(t.name) != 0)
    mwt::detail::fail(Code::DUPLICATE, "tensor name added twice", mwt::detail::kNoOffset, field);
  const mwt::detail::DTypeInfo* info = mwt::detail::dtype_info(static_cast<uint32_t>(dtype));
  if (info == nullptr)
    mwt::detail::fail(
        Code::BAD_DTYPE,
        "dtype id " + std::to_string(static_cast<int>(dtype)) + " is not a valid mwt_dtype",
        mwt::detail::kNoOffset, field + ".dtype");
  if (!wr.rules.stores(*info))
    mwt::detail::fail(Code::BAD_DTYPE,
                      std::string(info->name) + " cannot be stored in " + wr.rules.dtype_refusal,
                      mwt::detail::kNoOffset, field + ".dtype");
  t.dtype = info->id;
  t.shape.assign(shape, shape + ndim);
  uint64_t numel = 1;
  for (uint64_t d : t.shape) numel = mwt::detail::checked_mul(numel, d, "tensor element count");
  // ggml quantizes along the innermost axis, so whole blocks must fit in each row.
  if (info->quantized && !t.shape.empty() && t.shape.back() % info->block_elems != 0)
    mwt::detail::fail(Code::BAD_SHAPE,
                      "innermost dimension " + std::to_string(t.shape.back()) +
                          " is not a multiple of the " + std::string(info->name) + " block size " +
                          std::to_string(info->block_elems),
                      mwt::detail::kNoOffset, field + ".shape");
  const uint64_t expected =
      mwt::detail::dtype_nbytes(*info, numel, (field + ".shape").c_str(), mwt::detail::kNoOffset);
  if (nbytes != expected)
    mwt::detail::fail(Code::SIZE_MISMATCH,
                      "nbytes is " + std::to_string(nbytes) + " but " + std::to_string(numel) +
                          " elements of " + std::string(info->name) + " take " +
                          std::to_string(expected),
                      mwt::detail::kNoOffset, field + ".nbytes");
  t.data = static_cast<const uint8_t*>(data);
  t.nbytes = nbytes;
  wr.spec.tensors.push_back(std::move(t));
  try {
    wr.names.insert(wr.spec.tensors.back().name);
  } catch (...) {
    wr.spec.tensors.pop_back();
    throw;
  }
  MWT_API_END
}

MWT_API mwt_status* mwt_writer_write(mwt_writer* w, const char* path) {
  MWT_API_BEGIN
  mwt_writer& wr = writer_of(w, "mwt_writer_write");
  if (path == nullptr) bad_argument("mwt_writer_write", "path is NULL");
  // Guarded: borrowed tensor data may be views into a mapped file (mwt.h, "Mapped files").
  mwt::detail::run_guarded([&] { wr.rules.write(wr.spec, path); });
  for (const auto& t : wr.spec.tensors) mwt::detail::require_unchanged(t.data, t.nbytes);
  MWT_API_END
}

}  // extern "C"
