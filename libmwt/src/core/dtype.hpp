// DType and the dtype table: one id space for every element type mwt meets, and the one place
// that states each type's names, block size and block bytes. Values 0..42 are the ggml type ids
// verbatim (so a GGUF tensor type is its DType); values >= 100 are the safetensors dtypes ggml
// has no id for. The numbers are part of the C ABI (mwt_dtype) and are never renumbered.
// Every other layer asks this table (dtype_info at run time, static_dtype_info at compile time,
// e.g. quant/blocks.hpp's layouts) instead of restating a size.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace mwt::detail {

enum class DType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
  NVFP4 = 40,
  Q1_0 = 41,
  Q2_0 = 42,
  // non-ggml (safetensors) dtypes
  BOOL = 100,
  U8 = 101,
  U16 = 102,
  U32 = 103,
  U64 = 104,
  F8_E5M2 = 105,
  F8_E4M3 = 106,
  F8_E8M0 = 107,
  F8_E4M3FNUZ = 108,
  F8_E5M2FNUZ = 109,
  F4 = 110,
  F6_E2M3 = 111,
  F6_E3M2 = 112,
  C64 = 113,
};

struct DTypeInfo {
  DType id;
  std::string_view name;         // ggml name for ggml ids ("Q4_K", "F32"), safetensors name else
  std::string_view safetensors;  // safetensors spelling, empty when safetensors cannot hold it
  uint32_t block_elems;          // elements per block (1 for plain types; 2 for F4; 4 for F6)
  uint32_t block_bytes;          // bytes per block
  bool quantized;                // a ggml block-quantized type
  bool ggml;                     // has a ggml type id: the GGUF tensor type is the DType value
};

// The table, one row per valid dtype, ggml ids first in id order. ggml sizes follow
// ggml-common.h (Q8_1 is 36 bytes there; gguf-py's 40 is an old layout); docs/quant-blocks.md
// describes the block layouts (quant/blocks.hpp spells them out and checks them against this).
// Constant data only, so every translation unit (the ISA-specific ones included) may read it.
inline constexpr DTypeInfo kDTypeTable[] = {
    // id             name       safetensors  elems bytes quantized ggml
    {DType::F32, "F32", "F32", 1, 4, false, true},
    {DType::F16, "F16", "F16", 1, 2, false, true},
    {DType::Q4_0, "Q4_0", "", 32, 18, true, true},
    {DType::Q4_1, "Q4_1", "", 32, 20, true, true},
    {DType::Q5_0, "Q5_0", "", 32, 22, true, true},
    {DType::Q5_1, "Q5_1", "", 32, 24, true, true},
    {DType::Q8_0, "Q8_0", "", 32, 34, true, true},
    {DType::Q8_1, "Q8_1", "", 32, 36, true, true},
    {DType::Q2_K, "Q2_K", "", 256, 84, true, true},
    {DType::Q3_K, "Q3_K", "", 256, 110, true, true},
    {DType::Q4_K, "Q4_K", "", 256, 144, true, true},
    {DType::Q5_K, "Q5_K", "", 256, 176, true, true},
    {DType::Q6_K, "Q6_K", "", 256, 210, true, true},
    {DType::Q8_K, "Q8_K", "", 256, 292, true, true},
    {DType::IQ2_XXS, "IQ2_XXS", "", 256, 66, true, true},
    {DType::IQ2_XS, "IQ2_XS", "", 256, 74, true, true},
    {DType::IQ3_XXS, "IQ3_XXS", "", 256, 98, true, true},
    {DType::IQ1_S, "IQ1_S", "", 256, 50, true, true},
    {DType::IQ4_NL, "IQ4_NL", "", 32, 18, true, true},
    {DType::IQ3_S, "IQ3_S", "", 256, 110, true, true},
    {DType::IQ2_S, "IQ2_S", "", 256, 82, true, true},
    {DType::IQ4_XS, "IQ4_XS", "", 256, 136, true, true},
    {DType::I8, "I8", "I8", 1, 1, false, true},
    {DType::I16, "I16", "I16", 1, 2, false, true},
    {DType::I32, "I32", "I32", 1, 4, false, true},
    {DType::I64, "I64", "I64", 1, 8, false, true},
    {DType::F64, "F64", "F64", 1, 8, false, true},
    {DType::IQ1_M, "IQ1_M", "", 256, 56, true, true},
    {DType::BF16, "BF16", "BF16", 1, 2, false, true},
    {DType::TQ1_0, "TQ1_0", "", 256, 54, true, true},
    {DType::TQ2_0, "TQ2_0", "", 256, 66, true, true},
    {DType::MXFP4, "MXFP4", "", 32, 17, true, true},
    {DType::NVFP4, "NVFP4", "", 64, 36, true, true},
    {DType::Q1_0, "Q1_0", "", 128, 18, true, true},
    {DType::Q2_0, "Q2_0", "", 64, 18, true, true},
    {DType::BOOL, "BOOL", "BOOL", 1, 1, false, false},
    {DType::U8, "U8", "U8", 1, 1, false, false},
    {DType::U16, "U16", "U16", 1, 2, false, false},
    {DType::U32, "U32", "U32", 1, 4, false, false},
    {DType::U64, "U64", "U64", 1, 8, false, false},
    {DType::F8_E5M2, "F8_E5M2", "F8_E5M2", 1, 1, false, false},
    {DType::F8_E4M3, "F8_E4M3", "F8_E4M3", 1, 1, false, false},
    {DType::F8_E8M0, "F8_E8M0", "F8_E8M0", 1, 1, false, false},
    {DType::F8_E4M3FNUZ, "F8_E4M3FNUZ", "F8_E4M3FNUZ", 1, 1, false, false},
    {DType::F8_E5M2FNUZ, "F8_E5M2FNUZ", "F8_E5M2FNUZ", 1, 1, false, false},
    {DType::F4, "F4", "F4", 2, 1, false, false},
    {DType::F6_E2M3, "F6_E2M3", "F6_E2M3", 4, 3, false, false},
    {DType::F6_E3M2, "F6_E3M2", "F6_E3M2", 4, 3, false, false},
    {DType::C64, "C64", "C64", 1, 8, false, false},
};

// The row of `t`, for compile-time use only (consteval: never emitted, so ISA-specific files may
// call it too). Not a valid dtype: a compile error.
consteval const DTypeInfo& static_dtype_info(DType t) {
  for (const DTypeInfo& d : kDTypeTable)
    if (d.id == t) return d;
  throw "not a dtype of kDTypeTable";  // in a constant expression: the compile error
}

// One past the largest ggml type id: ids below it may be GGUF tensor types (removed ids aside).
consteval uint32_t ggml_type_count() {
  uint32_t n = 0;
  for (const DTypeInfo& d : kDTypeTable)
    if (d.ggml && static_cast<uint32_t>(d.id) >= n) n = static_cast<uint32_t>(d.id) + 1;
  return n;
}
inline constexpr uint32_t kGgmlTypeCount = ggml_type_count();  // removed ids have no row

// The numbering rule of DType, checked over the table: ggml rows take ids below 100, the others
// 100 and above; ggml rows are ordered by id.
consteval bool table_follows_numbering() {
  uint32_t last = 0;
  for (const DTypeInfo& d : kDTypeTable) {
    const uint32_t id = static_cast<uint32_t>(d.id);
    if (d.ggml != (id < 100) || (d.ggml && id != 0 && id <= last)) return false;
    if (d.ggml) last = id;
    if (d.block_elems == 0 || d.block_bytes == 0) return false;
  }
  return true;
}
static_assert(table_follows_numbering());

// Table lookups. Return nullptr / nullopt for an id or name that is not a valid dtype
// (including ggml's removed ids 4, 5, 31-33, 36-38).
const DTypeInfo* dtype_info(uint32_t id) noexcept;
const DTypeInfo* dtype_from_name(std::string_view name) noexcept;         // ggml-style name
const DTypeInfo* dtype_from_safetensors(std::string_view name) noexcept;  // "BF16", "F8_E4M3"
// Has a ggml type id (can live in a GGUF tensor): a valid dtype whose row says ggml.
bool is_ggml_type(DType d) noexcept;

// Byte size of `numel` elements of `d`, with checked arithmetic: OVERFLOW on overflow,
// BAD_SHAPE (message names `field`) when numel is not a whole number of blocks.
uint64_t dtype_nbytes(const DTypeInfo& d, uint64_t numel, const char* field, uint64_t offset);

}  // namespace mwt::detail
