// Entry points of the formats layer: sniff a path, open it with the one reader its format
// names, and write GGUF / safetensors from a WriteSpec.
#pragma once
#include <memory>
#include <string>

#include "formats/weight_file.hpp"

namespace mwt::detail {

// Sniff the format of a file (by magic bytes only) or a directory (safetensors shards).
// Never throws for unknown content: returns Format::UNKNOWN. Throws Error(IO) if unreadable.
Format detect_format(const std::string& path);
Format detect_format_bytes(const uint8_t* data, uint64_t size);  // first bytes of a file

// Open with the reader of the sniffed format; UNSUPPORTED_FORMAT (naming the format) for
// formats mwt recognises but does not read yet, BAD_MAGIC for unknown content.
std::unique_ptr<WeightFile> open_weight_file(const std::string& path, const OpenOptions& opts);

// Per-format readers (formats/gguf, formats/safetensors). Each validates completely before
// returning; the result has build_index() done.
std::unique_ptr<WeightFile> read_gguf(std::shared_ptr<MappedFile> file, const OpenOptions& opts);
// `index` = false skips build_index() (the sharded reader merges shards and indexes once).
std::unique_ptr<WeightFile> read_safetensors(std::shared_ptr<MappedFile> file,
                                             const OpenOptions& opts, bool index = true);
// `path` is a model.safetensors.index.json or a directory holding one (or holding *.safetensors
// shards without an index): all shards presented as one tensor table.
std::unique_ptr<WeightFile> read_safetensors_sharded(const std::string& path,
                                                     const OpenOptions& opts);

// What a writer writes. Data is borrowed: pointers must stay valid until write returns.
struct WriteTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<uint64_t> shape;  // numpy order
  const uint8_t* data = nullptr;
  uint64_t nbytes = 0;          // must equal dtype_nbytes(shape)
};
struct WriteMeta {
  std::string key;
  ValueType type = ValueType::STRING;
  ValueType elem_type = ValueType::U8;  // arrays
  uint64_t count = 0;                   // arrays
  uint64_t scalar_bits = 0;             // scalars: raw LE bytes
  std::string str;                      // STRING
  std::vector<uint8_t> array_bytes;     // numeric arrays: count * size
  std::vector<std::string> strings;     // string arrays
};
struct WriteSpec {
  std::vector<WriteMeta> metadata;   // written in this order (GGUF); safetensors: STRING only
  std::vector<WriteTensor> tensors;  // GGUF: in this order; safetensors: reference order
  uint32_t alignment = 32;           // GGUF only; written as general.alignment when != 32
};

// Atomic writers (formats.md "Writers: nothing lost"): temp file in the destination directory,
// checked writes, fsync, rename, fsync dir; the output is re-read with the strict reader and
// compared before success. On any failure the destination is untouched.
void write_gguf(const WriteSpec& spec, const std::string& path, uint32_t version = 3);
void write_safetensors(const WriteSpec& spec, const std::string& path);

}  // namespace mwt::detail
