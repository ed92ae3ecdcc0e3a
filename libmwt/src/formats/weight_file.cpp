// WeightFile lookups and the names of formats (from the registry) and value types.
#include "formats/weight_file.hpp"

#include "formats/registry.hpp"

namespace mwt::detail {

const char* format_name(Format f) noexcept {
  const FormatRow* row = find_format_row(f);
  return row != nullptr ? row->name : "unknown";
}

const char* value_type_name(ValueType t) noexcept {
  static const char* names[] = {"UINT8",  "INT8",    "UINT16", "INT16",  "UINT32",
                                "INT32",  "FLOAT32", "BOOL",   "STRING", "ARRAY",
                                "UINT64", "INT64",   "FLOAT64"};
  const auto i = static_cast<uint32_t>(t);
  return i < kValueTypeCount ? names[i] : "INVALID";
}

uint32_t value_type_size(ValueType t) noexcept {
  switch (t) {
    case ValueType::U8:
    case ValueType::I8:
    case ValueType::BOOL: return 1;
    case ValueType::U16:
    case ValueType::I16: return 2;
    case ValueType::U32:
    case ValueType::I32:
    case ValueType::F32: return 4;
    case ValueType::U64:
    case ValueType::I64:
    case ValueType::F64: return 8;
    case ValueType::STRING:
    case ValueType::ARRAY: return 0;
  }
  return 0;
}

void WeightFile::build_index() {
  reserve_index(metadata.size(), tensors.size());
  const auto meta_key = [this](uint64_t i) { return metadata_key(i); };
  const auto tensor_key = [this](uint64_t i) { return tensor_name(i); };
  for (size_t i = 0; i < tensors.size(); ++i) tensor_index_.insert(tensors[i].name, i, tensor_key);
  for (size_t i = 0; i < metadata.size(); ++i) meta_index_.insert(metadata[i].key, i, meta_key);
}

void WeightFile::reserve_index(uint64_t n_metadata, uint64_t n_tensors) {
  meta_index_.clear();
  tensor_index_.clear();
  meta_index_.reserve(n_metadata);
  tensor_index_.reserve(n_tensors);
}

int64_t WeightFile::index_next_metadata(std::string_view key) {
  return meta_index_.insert(key, metadata.size(), [this](uint64_t i) { return metadata_key(i); });
}

int64_t WeightFile::index_next_tensor(std::string_view name) {
  return tensor_index_.insert(name, tensors.size(), [this](uint64_t i) { return tensor_name(i); });
}

int64_t WeightFile::find_tensor(std::string_view name) const {
  return tensor_index_.find(name, [this](uint64_t i) { return tensor_name(i); });
}

int64_t WeightFile::find_metadata(std::string_view key) const {
  return meta_index_.find(key, [this](uint64_t i) { return metadata_key(i); });
}

}  // namespace mwt::detail
