// WeightFile: what every reader produces — format, typed metadata entries and a tensor table
// with zero-copy views into memory-mapped files. Readers fill it; capi and tools only read it.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.hpp"
#include "core/mapped_file.hpp"
#include "core/name_index.hpp"

namespace mwt::detail {

// Formats the sniffer can name, each a row of formats/registry.cpp. Numbers are part of the C
// ABI (mwt_format).
enum class Format : uint32_t {
  UNKNOWN = 0,
  GGUF = 1,
  SAFETENSORS = 2,
  PYTORCH_ZIP = 3,
  ONNX = 4,
  NPY = 5,
  NPZ = 6,
  SAFETENSORS_INDEX = 7,  // a model.safetensors.index.json (or a directory of shards)
  PYTORCH_LEGACY = 8,     // pre-1.6 non-zip torch.save pickle stream
  TORCHSCRIPT = 9,        // zip with code/ and constants.pkl
  ZIP = 10,               // some other zip archive
};
const char* format_name(Format f) noexcept;

// Metadata value types: GGUF's numbering (0..12), used for every format. safetensors
// `__metadata__` values are all STRING.
enum class ValueType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};
inline constexpr uint32_t kValueTypeCount = 13;
const char* value_type_name(ValueType t) noexcept;
// Bytes of one scalar of type t (0 for STRING and ARRAY).
uint32_t value_type_size(ValueType t) noexcept;

struct MetaValue {
  ValueType type = ValueType::U8;
  ValueType elem_type = ValueType::U8;  // arrays only
  uint64_t count = 0;                   // arrays only: number of elements
  // Scalars: the value's raw little-endian bytes, zero-extended (read with memcpy by type).
  uint64_t scalar_bits = 0;
  std::string_view str;                   // STRING: UTF-8 bytes (view into the map or the arena)
  const uint8_t* array_data = nullptr;    // numeric arrays: count * size, unaligned, little-endian
  std::vector<std::string_view> strings;  // string arrays
};

struct MetaEntry {
  std::string_view key;  // view into the map or the arena
  MetaValue value;
  uint64_t offset = 0;  // file offset of the entry (messages, inspect)
};

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<uint64_t> shape;  // numpy order (outermost first); GGUF dims are reversed here
  uint64_t numel = 0;
  uint64_t nbytes = 0;
  uint64_t offset = 0;      // absolute byte offset of the data within its file
  uint32_t file_index = 0;  // which of WeightFile::files holds it
  // Zero-copy view, valid while the WeightFile's files live. nullptr for a deferred file (see
  // MappedFile::open_deferred) until resolved: use WeightFile::tensor_data.
  const uint8_t* data = nullptr;
};

struct WeightFile {
  Format format = Format::UNKNOWN;
  uint32_t version = 0;      // GGUF version; 0 where the format has none
  uint64_t total_size = 0;   // bytes over all files
  uint64_t data_offset = 0;  // GGUF: start of the data section; safetensors: 8 + header len
  uint32_t alignment = 0;    // GGUF alignment in force
  std::vector<std::shared_ptr<MappedFile>> files;  // one per shard
  std::vector<MetaEntry> metadata;
  std::vector<TensorInfo> tensors;
  std::vector<std::string> warnings;  // non-fatal findings (e.g. non-contiguous GGUF layout)
  std::vector<std::unique_ptr<std::string>> arena;  // owns decoded strings that views point at

  std::string_view intern(std::string s) {  // keep a decoded string alive for the file's life
    arena.push_back(std::make_unique<std::string>(std::move(s)));
    return *arena.back();
  }
  // Lookups (flat hash tables, core/name_index.hpp, built once); -1 when absent.
  int64_t find_tensor(std::string_view name) const;
  int64_t find_metadata(std::string_view key) const;
  // Builds both tables from tensors and metadata (a repeated name maps to its first entry).
  // Call once they are final, unless the reader indexed them as it parsed (below).
  void build_index();
  // For a reader that checks names for duplicates while it parses (GGUF; safetensors'
  // __metadata__), so the duplicate check and the lookups share one table. reserve_index
  // (optional: the tables grow) with counts the reader has bounded; then, before appending
  // each entry, index_next_*(name) adds the entry about to be appended (position
  // metadata.size() or tensors.size()) and returns -1, or returns the position of the earlier
  // entry with that name and adds nothing. The caller then appends the entry with exactly that
  // name (or fails).
  void reserve_index(uint64_t n_metadata, uint64_t n_tensors);
  int64_t index_next_metadata(std::string_view key);
  int64_t index_next_tensor(std::string_view name);
  // The tensor's bytes: its view, or for a deferred shard the shard's map (mapped on first use,
  // Error(IO) if that fails). nullptr for an empty tensor.
  const uint8_t* tensor_data(const TensorInfo& t) const {
    if (t.nbytes == 0) return nullptr;
    if (t.data != nullptr) return t.data;
    return files.at(t.file_index)->data() + t.offset;
  }

 private:
  // Keys read through these (entries are found by position, so the vectors may reallocate).
  std::string_view metadata_key(uint64_t i) const { return metadata[i].key; }
  std::string_view tensor_name(uint64_t i) const { return tensors[i].name; }

  NameIndex tensor_index_;
  NameIndex meta_index_;
};

// Limits and strictness switches, set through the C ABI's string-keyed options handle.
struct OpenOptions {
  uint64_t max_tensors = 1u << 20;   // "limits.max_tensors"
  uint64_t max_kv = 1u << 20;        // "limits.max_kv"
  uint64_t max_string = 1ull << 30;  // "limits.max_string" (bytes)
  uint64_t max_key = 65536;          // "limits.max_key" (bytes)
  uint64_t max_array = 1ull << 30;   // "limits.max_array" (elements)
  uint64_t max_header = 100000000;   // "limits.max_header" (safetensors JSON bytes)
  uint64_t max_json_depth = 64;      // "limits.max_json_depth"
  uint64_t max_shards = 4096;        // "limits.max_shards"
  bool safetensors_strict = true;    // "safetensors.strict": unknown fields rejected
  bool gguf_strict_bool = true;      // "gguf.strict_bool": BOOL values must be 0/1
  bool gguf_contiguous = false;      // "gguf.contiguous": ggml's contiguous-offset rule
  // "gguf.allow_invalid_utf8": keys, names and strings that are not UTF-8 kept as bytes
  bool gguf_allow_invalid_utf8 = false;
  // "io.mmap": files are mapped (true) or read into private memory (MappedFile::open, map)
  bool io_mmap = true;
  // "analysis.config_json": mwt_file_architecture reads a config.json beside the weights
  bool analysis_config_json = true;
};

}  // namespace mwt::detail
