// The safetensors JSON header: parsed into a WeightFile's tensor table and `__metadata__`
// entries, with every check one entry allows (dtype, shape, offsets, byte size, duplicates,
// caps). The layout checks that need all entries (tiling, EOF) are the reader's.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "formats/weight_file.hpp"

namespace mwt::detail {

// Largest dimension the format allows (its JSON schema caps size_t at 2^48 - 1).
inline constexpr uint64_t kSafetensorsMaxDim = (1ull << 48) - 1;
// Highest rank read or written. The format sets none; numpy 2 stops at 64, and the cap keeps a
// header of a few bytes per dimension from inflating into 8 bytes per dimension of heap.
inline constexpr size_t kSafetensorsMaxRank = 64;

// Field path of a tensor in messages: tensors["<escaped name>"].
std::string st_tensor_field(std::string_view name);

// Bits per element of a safetensors dtype (4 for F4, 6 for the F6 types).
uint64_t st_element_bits(const DTypeInfo& d);

// Parses header bytes text[0, n) (file offset `file_base`). Appends to out.tensors in header
// order with TensorInfo::offset = begin relative to the data buffer (the reader rebases it),
// and to out.metadata (STRING values, strings owned by out.arena). key_offsets receives the
// file offset of each tensor's key, parallel to out.tensors. Warnings go to out.warnings.
void parse_safetensors_header(const uint8_t* text, uint64_t n, uint64_t file_base,
                              const OpenOptions& opts, WeightFile& out,
                              std::vector<uint64_t>& key_offsets);

}  // namespace mwt::detail
