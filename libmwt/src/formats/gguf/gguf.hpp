// Entry points of the GGUF folder (docs/gguf.md): the sniff, the strict reader and the atomic
// writer that the registry's GGUF row points at.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/mapped_file.hpp"
#include "formats/weight_file.hpp"
#include "formats/write_spec.hpp"

namespace mwt::detail {

// Format::GGUF when the file starts with the magic "GGUF"; the reader judges the rest.
Format sniff_gguf(const uint8_t* data, uint64_t size) noexcept;

// Validates the whole file before returning; the result is indexed (find_metadata, find_tensor).
std::unique_ptr<WeightFile> read_gguf(std::shared_ptr<MappedFile> file, const OpenOptions& opts);

// Atomic (docs/gguf.md "Writer"): temp file in the destination directory, checked writes,
// fsync, rename, fsync dir; the output is re-read with the strict reader and compared before
// success. On any failure the destination is untouched.
void write_gguf(const WriteSpec& spec, const std::string& path, uint32_t version = 3);

}  // namespace mwt::detail
