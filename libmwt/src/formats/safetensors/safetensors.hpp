// Entry points of the safetensors folder (docs/safetensors.md): the sniffs of a single file, an
// index and a shard directory, the strict readers and the atomic writer that the registry's
// safetensors rows point at.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/mapped_file.hpp"
#include "formats/weight_file.hpp"
#include "formats/write_spec.hpp"

namespace mwt::detail {

// Format::SAFETENSORS when the bytes are a u64 header length then a JSON object (see the
// definition for the header-larger-than-the-file case).
Format sniff_safetensors(const uint8_t* data, uint64_t size) noexcept;
// For a file named *.index.json: Format::SAFETENSORS_INDEX when it is a JSON object with a
// "weight_map" object member.
Format sniff_safetensors_index(const uint8_t* data, uint64_t size) noexcept;
// A directory holding a *.safetensors or *.safetensors.index.json regular file.
bool sniff_safetensors_directory(const std::string& dir);

// One file, validated completely. `index` = false skips build_index() (the sharded reader
// merges shards and indexes once).
std::unique_ptr<WeightFile> read_safetensors(std::shared_ptr<MappedFile> file,
                                             const OpenOptions& opts, bool index = true);
// `path` is a model.safetensors.index.json or a directory holding one (or holding *.safetensors
// shards without an index): all shards presented as one tensor table.
std::unique_ptr<WeightFile> read_safetensors_sharded(const std::string& path,
                                                     const OpenOptions& opts);

// Atomic, like write_gguf: the destination is replaced only by a file the reader accepts.
void write_safetensors(const WriteSpec& spec, const std::string& path);

}  // namespace mwt::detail
