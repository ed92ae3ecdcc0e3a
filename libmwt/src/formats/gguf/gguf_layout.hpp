// GGUF layout constants and field-path spelling shared by the GGUF reader and writer, so both
// sides agree on what a valid file is (docs/gguf.md).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "formats/open.hpp"

namespace mwt::detail::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
inline constexpr uint32_t kMinVersion = 2;
inline constexpr uint32_t kMaxVersion = 3;
inline constexpr uint32_t kDefaultAlignment = 32;
// ggml accepts any power of two; mwt bounds it so a huge alignment cannot demand huge padding.
inline constexpr uint32_t kMaxAlignment = 65536;
inline constexpr uint64_t kMaxNameBytes = 63;  // ggml's GGML_MAX_NAME (64) counts the NUL
inline constexpr uint32_t kMaxDims = 4;        // GGML_MAX_DIMS
inline constexpr std::string_view kAlignmentKey = "general.alignment";

// Smallest encodings, used to bound counts by the bytes left before anything is allocated:
// a KV is a key (u64 length + at least 1 byte), a u32 type and at least a 1-byte value; a
// tensor info is a name (u64 + at least 1 byte), u32 n_dims, u32 type and a u64 offset.
inline constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;
inline constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 4 + 8;
inline constexpr uint64_t kMinStringBytes = 8;

inline std::string kv_path(std::string_view key) {
  return "kv[\"" + escape_for_message(key) + "\"]";
}
inline std::string tensor_path(std::string_view name) {
  return "tensors[\"" + escape_for_message(name) + "\"]";
}

// Copy a read WeightFile back into a WriteSpec (data borrowed from `wf`): the inverse of
// read_gguf, so read -> spec -> write_gguf reproduces an mwt- or gguf-py-written file exactly.
WriteSpec spec_from_weight_file(const WeightFile& wf);

}  // namespace mwt::detail::gguf
