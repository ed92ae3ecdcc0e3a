// Entry points of the formats layer: sniff a path and open it with the one reader its format
// names, both driven by the format registry (formats/registry.hpp). The shipped formats'
// readers and writers are declared by their folders' headers, included here for callers.
#pragma once
#include <memory>
#include <string>

#include "formats/gguf/gguf.hpp"
#include "formats/safetensors/safetensors.hpp"
#include "formats/weight_file.hpp"
#include "formats/write_spec.hpp"

namespace mwt::detail {

// Sniff the format of a file (by content, and for *.index.json by name) or a directory
// (safetensors shards). Never throws for unknown content: returns Format::UNKNOWN. Throws
// Error(IO) if the path cannot be read.
Format detect_format(const std::string& path);
Format detect_format_bytes(const uint8_t* data, uint64_t size);  // content only, no name

// Open with the reader of the sniffed format; UNSUPPORTED_FORMAT (naming the format) for
// formats mwt recognises but does not read yet, BAD_MAGIC for unknown content.
std::unique_ptr<WeightFile> open_weight_file(const std::string& path, const OpenOptions& opts);

}  // namespace mwt::detail
